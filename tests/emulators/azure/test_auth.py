"""Azure's key check: `api-key` equal to the configured key, else Azure's own 401 body."""

from __future__ import annotations

import httpx
import openai
import pytest

from service.emulators.config import EmulatorConfig
from tests.emulators.azure.helpers import ACCESS_DENIED, AZURE_KEY, AZURE_PATH, azure_client
from tests.emulators.helpers import RunningEmulator, serve


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"api-key": "not-the-key"},
        {"api-key": ""},
        {"authorization": f"Bearer {AZURE_KEY}"},  # the right key, but as OpenAI takes it
    ],
    ids=["missing", "wrong", "empty", "bearer-only"],
)
def test_anything_but_the_api_key_is_azures_401(
    emulator: RunningEmulator, headers: dict[str, str]
) -> None:
    for path in ("/files", "/fine_tuning/jobs", "/fine_tuning/jobs/ftjob-x/events"):
        response = httpx.get(f"{emulator.url}{AZURE_PATH}{path}", headers=headers)
        assert response.status_code == 401, path
        assert response.json() == ACCESS_DENIED


def test_the_api_key_alone_is_enough(emulator: RunningEmulator) -> None:
    response = httpx.get(f"{emulator.url}{AZURE_PATH}/files", headers={"api-key": AZURE_KEY})
    assert response.status_code == 200
    assert response.json()["object"] == "list"


def test_the_sdk_sees_an_authentication_error_with_azures_body(emulator: RunningEmulator) -> None:
    with (
        azure_client(emulator, key="wrong") as sdk,
        pytest.raises(openai.AuthenticationError) as info,
    ):
        sdk.files.list()
    assert info.value.status_code == 401
    assert info.value.body == ACCESS_DENIED["error"]


def test_a_bearer_only_client_is_refused(emulator: RunningEmulator) -> None:
    bearer = openai.OpenAI(
        api_key=AZURE_KEY, base_url=f"{emulator.url}{AZURE_PATH}/", max_retries=0
    )
    with bearer, pytest.raises(openai.AuthenticationError) as info:
        bearer.files.list()
    assert info.value.body == ACCESS_DENIED["error"]


class PublicHookClient(openai.OpenAI):
    """Overrides only the public `auth_headers`, which openai 3.x no longer uses for requests
    (they take `_auth_headers(security)`): the key still goes out as a bearer token alone."""

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"api-key": self.api_key}


def test_overriding_only_the_public_auth_headers_sends_no_api_key(
    emulator: RunningEmulator,
) -> None:
    client = PublicHookClient(
        api_key=AZURE_KEY, base_url=f"{emulator.url}{AZURE_PATH}/", max_retries=0
    )
    with client, pytest.raises(openai.AuthenticationError) as info:
        client.files.list()
    sent = info.value.response.request.headers
    assert "api-key" not in sent
    assert sent["authorization"] == f"Bearer {AZURE_KEY}"


def test_the_key_comes_from_the_config() -> None:
    with serve(EmulatorConfig(azure_api_key="k-custom")) as running:
        default = httpx.get(f"{running.url}{AZURE_PATH}/files", headers={"api-key": AZURE_KEY})
        with azure_client(running, key="k-custom") as sdk:
            files = sdk.files.list()

    assert default.status_code == 401
    assert files.data == []


def test_refused_requests_change_nothing(emulator: RunningEmulator) -> None:
    response = httpx.post(
        f"{emulator.url}{AZURE_PATH}/files",
        files={"file": ("train.jsonl", b"{}\n")},
        data={"purpose": "fine-tune"},
    )
    assert response.status_code == 401
    assert emulator.state()["azure"]["files"] == 0
