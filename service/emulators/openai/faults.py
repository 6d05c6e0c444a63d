"""How OpenAI words the faults `service.emulators.faults` injects (its 429s, 500s and 503s)."""

from __future__ import annotations

import math

from service.emulators.errors import APIError


def fault_error(fault: str, retry_after: float) -> APIError:
    """The error OpenAI answers for `fault`; 429s say when to retry, the daily one not to."""
    if fault == "429":
        return APIError(
            429,
            f"Rate limit reached for requests. Please try again in {retry_after:g}s.",
            type_="requests",
            code="rate_limit_exceeded",
            headers={
                "retry-after": str(math.ceil(retry_after)),
                "retry-after-ms": str(round(retry_after * 1000)),
            },
        )
    if fault == "429_daily":
        return APIError(
            429,
            "This fine-tune request has been rate-limited. Your organization has reached the "
            "maximum of 3 fine-tuning requests per day.",
            code="daily_rate_limit_exceeded",
            headers={"x-should-retry": "false"},  # without it the SDK retries uselessly
        )
    if fault == "503":
        return APIError(503, "The server is overloaded or not ready yet.", type_="server_error")
    return APIError(
        500,
        "The server had an error while processing your request. Sorry about that!",
        type_="server_error",
    )
