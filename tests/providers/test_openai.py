"""OpenAI errors classified: permanent (400/403/404/422) end the job, the rest retry."""

from __future__ import annotations

import httpx2
import openai
import pytest

from service.providers.openai import translate_status_error

WIND_DOWN = (
    "OpenAI is winding down the fine-tuning platform and your organization is no longer able "
    "to create new fine-tuning training jobs."
)


def status_error(
    status: int, body: dict[str, object], headers: dict[str, str] | None = None
) -> openai.APIStatusError:
    request = httpx2.Request("POST", "http://openai.test/v1/fine_tuning/jobs")
    response = httpx2.Response(status, json={"error": body}, headers=headers, request=request)
    client = openai.OpenAI(api_key="sk-test", base_url="http://openai.test/v1")
    return client._make_status_error_from_response(response)


def test_training_not_available_is_permanent_with_openais_words() -> None:
    error = translate_status_error(
        status_error(
            403,
            {
                "code": "training_not_available",
                "message": WIND_DOWN,
                "type": "invalid_request_error",
                "param": None,
            },
        )
    )
    assert (error.code, error.message, error.retryable, error.status) == (
        "training_not_available",
        WIND_DOWN,
        False,
        403,
    )


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (400, False),
        (403, False),
        (404, False),
        (422, False),
        (408, True),
        (409, True),
        (429, True),
        (500, True),
        (503, True),
    ],
)
def test_classification_by_status(status: int, retryable: bool) -> None:
    error = translate_status_error(status_error(status, {"message": "m", "code": None}))
    assert error.retryable is retryable
    assert error.code == f"http_{status}"


def test_retry_after_is_read_in_seconds_and_milliseconds() -> None:
    error = translate_status_error(
        status_error(
            429, {"message": "slow down", "code": "rate_limit_exceeded"}, {"retry-after": "7"}
        )
    )
    assert (error.retryable, error.retry_after, error.code) == (True, 7.0, "rate_limit_exceeded")
