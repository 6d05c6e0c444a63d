"""What a provider's answer says about retrying, the same for every Stainless-generated SDK
(openai, together): the wait it asks for, and the word our request counter records (pure)."""

from __future__ import annotations

from typing import Any


def retry_after_seconds(headers: Any) -> float | None:
    """`retry-after-ms` (OpenAI's, finer) or `retry-after` in seconds; None when absent or not
    a number (an HTTP-date is left to our own backoff)."""
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            continue
    return None


def status_outcome(status: int) -> str:
    """How a request that got an HTTP error is counted: rate_limited, or its status class."""
    return "rate_limited" if status == 429 else f"http_{status // 100}xx"
