"""How Azure words the faults `service.emulators.faults` injects.

Azure's gateway answers rate limits in its own envelope, naming the operation and the pricing
tier, with `retry-after` and `retry-after-ms` (the `openai` SDK honours both); a quota that is
used up says when it renews and must not be retried sooner. 500 and 503 use the same envelope.
"""

from __future__ import annotations

import math

from service.emulators.azure.errors import AzureError

OPERATION = "Requests to the Fine-tuning Operation under Azure OpenAI API version v1"


def fault_error(fault: str, retry_after: float) -> AzureError:
    """The error Azure answers for `fault` ("429", "429_daily", "500" or "503")."""
    if fault == "429":
        seconds = max(1, math.ceil(retry_after))
        return AzureError(
            429,
            f"{OPERATION} have exceeded call rate limit of your current OpenAI S0 pricing tier. "
            f"Please retry after {seconds} second{'s' if seconds != 1 else ''}. Please go here: "
            "https://aka.ms/oai/quotaincrease if you would like to further increase the default "
            "rate limit.",
            code="429",
            headers={
                "retry-after": str(seconds),
                "retry-after-ms": str(round(retry_after * 1000)),
            },
        )
    if fault == "429_daily":
        return AzureError(
            429,
            f"{OPERATION} have exceeded the fine-tuning quota of your current subscription. "
            "Please retry after 86400 seconds.",
            code="429",
            headers={"x-should-retry": "false"},  # without it the SDK retries uselessly
        )
    if fault == "503":
        return AzureError(
            503, "The service is temporarily unavailable. Please retry.", code="ServiceUnavailable"
        )
    return AzureError(
        500,
        "The service encountered an internal error. Please retry.",
        code="InternalServerError",
    )
