"""How Together words the faults `service.emulators.faults` injects: its 429 with `retry-after`
(the SDK honours it), 500 and 503 ("overloaded"), in its error envelope.

Together publishes no daily fine-tuning quota; "429_daily" answers a 429 that tells the SDK not
to retry (`x-should-retry: false`), so a client's own back-off is what gets tested.
"""

from __future__ import annotations

import math

from service.emulators.errors import APIError


def fault_error(fault: str, retry_after: float) -> APIError:
    """The error Together answers for `fault` ("429", "429_daily", "500" or "503")."""
    if fault == "429":
        return APIError(
            429,
            "You have exceeded the rate limit for this endpoint. Please retry after "
            f"{retry_after:g} seconds.",
            type_="rate_limit_exceeded",
            code="rate_limit_exceeded",
            headers={
                "retry-after": str(math.ceil(retry_after)),
                "retry-after-ms": str(round(retry_after * 1000)),
            },
        )
    if fault == "429_daily":
        return APIError(
            429,
            "You have exceeded the number of fine-tuning requests allowed for your account today.",
            type_="rate_limit_exceeded",
            code="rate_limit_exceeded",
            headers={"x-should-retry": "false"},
        )
    if fault == "503":
        return APIError(
            503,
            "The server is overloaded or not ready yet.",
            type_="service_unavailable",
            code="service_unavailable",
        )
    return APIError(
        500,
        "Internal server error. Please try again later.",
        type_="server_error",
        code="internal_server_error",
    )
