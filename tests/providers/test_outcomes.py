from __future__ import annotations

import httpx

from service.providers.outcomes import retry_after_seconds, status_outcome


def test_retry_after_is_read_in_seconds_and_milliseconds() -> None:
    assert retry_after_seconds(httpx.Headers({"retry-after": "7"})) == 7.0
    assert retry_after_seconds(httpx.Headers({"retry-after-ms": "1500"})) == 1.5
    assert retry_after_seconds(httpx.Headers({"retry-after": "soon"})) is None
    assert retry_after_seconds(httpx.Headers({"retry-after": "-3"})) == 0.0
    assert retry_after_seconds(httpx.Headers({})) is None


def test_an_http_error_is_counted_by_its_class_and_429_by_name() -> None:
    assert [status_outcome(s) for s in (429, 404, 503)] == ["rate_limited", "http_4xx", "http_5xx"]
