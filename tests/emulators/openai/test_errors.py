"""Synchronous errors: 400s for bad create parameters, 401s, 404s, error shape, x-request-id."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from service.emulators.config import EmulatorConfig
from tests.emulators.helpers import RunningEmulator, serve
from tests.emulators.openai_compat.helpers import DPO_MODEL, dpo_row, error_message, upload

ROWS = [dpo_row(index) for index in range(10)]


def _dpo(**hyperparameters: Any) -> Any:
    return {"type": "dpo", "dpo": {"hyperparameters": hyperparameters}}


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"model": "gpt-5-super"}, "model"),
        ({"method": {"type": "distillation"}}, "method.type"),
        ({"method": _dpo(beta=0)}, "method.dpo.hyperparameters.beta"),
        ({"method": _dpo(beta=2.5)}, "method.dpo.hyperparameters.beta"),
        ({"method": _dpo(batch_size=0)}, "method.dpo.hyperparameters.batch_size"),
        ({"method": _dpo(batch_size=257)}, "method.dpo.hyperparameters.batch_size"),
        ({"method": _dpo(n_epochs=51)}, "method.dpo.hyperparameters.n_epochs"),
        (
            {"method": _dpo(learning_rate_multiplier=0)},
            "method.dpo.hyperparameters.learning_rate_multiplier",
        ),
        ({"suffix": "x" * 65}, "suffix"),
        ({"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
        ({"metadata": {"k" * 65: "v"}}, "metadata"),
        ({"metadata": {"k": "v" * 513}}, "metadata"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**31}, "seed"),
        ({"model": "gpt-3.5-turbo-0125"}, "method.type"),  # no DPO on 3.5
    ],
)
def test_bad_create_parameters_are_400(
    client: openai.OpenAI, emulator: RunningEmulator, overrides: dict[str, Any], param: str
) -> None:
    body: dict[str, Any] = {"model": DPO_MODEL, "training_file": upload(client, ROWS)}
    body["method"] = _dpo(beta=0.1)
    body.update(overrides)
    with pytest.raises(openai.BadRequestError) as info:
        client.fine_tuning.jobs.create(**body)
    assert info.value.param == param
    assert info.value.type == "invalid_request_error"
    assert emulator.state()["jobs"] == 0


def test_boundary_values_are_accepted(client: openai.OpenAI) -> None:
    job = client.fine_tuning.jobs.create(
        model=DPO_MODEL,
        training_file=upload(client, ROWS),
        method=_dpo(beta=2, batch_size=256, n_epochs=1, learning_rate_multiplier=0.01),
        suffix="x" * 64,
        seed=2**31 - 1,
        metadata={f"k{i}": "v" * 512 for i in range(16)},
    )
    assert job.status == "validating_files"


def test_unknown_or_wrong_purpose_training_file(client: openai.OpenAI) -> None:
    notes = client.files.create(file=("notes.txt", b"hello"), purpose="assistants").id
    for file_id in ("file-doesnotexist", notes):
        with pytest.raises(openai.BadRequestError) as info:
            client.fine_tuning.jobs.create(model=DPO_MODEL, training_file=file_id)
        assert error_message(info.value) == f"invalid training_file: {file_id}"
        assert info.value.param == "training_file"


def test_unknown_job_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-nope")


def test_missing_authorization_is_401_in_openai_shape(emulator: RunningEmulator) -> None:
    response = httpx.get(f"{emulator.url}/v1/files")

    assert response.status_code == 401
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    assert response.headers["x-request-id"].startswith("req_")


def test_wrong_key_is_401_when_a_key_is_configured() -> None:
    with serve(EmulatorConfig(api_key="sk-right")) as running:
        with (
            running.client(api_key="sk-wrong") as wrong,
            pytest.raises(openai.AuthenticationError) as info,
        ):
            wrong.files.list()
        with running.client(api_key="sk-right") as right:
            assert right.files.list().data == []
    assert info.value.code == "invalid_api_key"


def test_every_response_carries_a_request_id(
    client: openai.OpenAI, emulator: RunningEmulator
) -> None:
    file_id = upload(client, ROWS)
    ok = client.files.with_raw_response.retrieve(file_id)
    content = client.files.with_raw_response.content(file_id)
    unknown_route = httpx.get(f"{emulator.url}/v1/nothing", headers={"authorization": "Bearer k"})
    with pytest.raises(openai.NotFoundError) as info:
        client.files.retrieve("file-missing")

    assert ok.headers["x-request-id"].startswith("req_")
    assert content.headers["x-request-id"].startswith("req_")
    assert unknown_route.status_code == 404
    assert unknown_route.json()["error"]["message"] == "Invalid URL (GET /v1/nothing)"
    assert "x-request-id" in unknown_route.headers
    assert info.value.request_id is not None


def test_malformed_json_is_400(emulator: RunningEmulator) -> None:
    response = httpx.post(
        f"{emulator.url}/v1/fine_tuning/jobs",
        content=b"{not json",
        headers={"authorization": "Bearer k", "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert "could not parse the JSON body" in response.json()["error"]["message"]
