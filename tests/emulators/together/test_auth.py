"""Together's key check: the configured bearer key only, answered in Together's envelope, before
any fault; the presigned upload URL is outside it (its signature is its check)."""

from __future__ import annotations

import httpx
import pytest
import together

from service.emulators.config import EmulatorConfig
from tests.emulators.helpers import RunningEmulator, serve
from tests.emulators.together.helpers import KEY, PATH, together_client

INVALID = {
    "error": {
        "message": "Invalid API key provided. You can find your API key at "
        "https://api.together.ai/settings/api-keys.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}, {"api-key": KEY}],
)
def test_anything_but_the_bearer_key_is_a_401(
    emulator: RunningEmulator, headers: dict[str, str]
) -> None:
    response = httpx.get(f"{emulator.url}{PATH}/v1/fine-tunes", headers=headers)
    assert response.status_code == 401
    assert response.json() == INVALID


def test_the_sdk_with_a_wrong_key(emulator: RunningEmulator) -> None:
    with together_client(emulator, key="nope") as sdk, pytest.raises(together.AuthenticationError):
        sdk.fine_tuning.list()


def test_the_key_is_checked_before_any_fault(emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["500"])
    response = httpx.get(f"{emulator.url}{PATH}/v1/files", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401
    assert emulator.state()["faults_injected"] == {}


def test_the_key_comes_from_the_config() -> None:
    with serve(EmulatorConfig(together_api_key="k-custom")) as running:
        with together_client(running, key="k-custom") as sdk:
            assert sdk.fine_tuning.list().data == []
        with together_client(running) as sdk, pytest.raises(together.AuthenticationError):
            sdk.fine_tuning.list()


def test_the_upload_url_needs_no_key_but_a_signature(emulator: RunningEmulator) -> None:
    response = httpx.put(f"{emulator.url}{PATH}/_uploads/file-x", content=b"{}\n")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "SignatureDoesNotMatch"


def test_an_empty_key_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="together_api_key"):
        EmulatorConfig(together_api_key="")
