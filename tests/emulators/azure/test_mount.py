"""Azure's resource beside OpenAI's account on one app and port: `/openai/v1` with a world of its
own, its part of `/_emulator/state` under "azure", and `/_emulator/reset` reaching both."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.emulators.azure.helpers import AZURE_KEY, AZURE_PATH
from tests.emulators.helpers import RunningEmulator
from tests.emulators.openai_compat.helpers import dpo_job, dpo_row, upload, wait_for

ROWS = [dpo_row(index) for index in range(10)]
OPENAI_STATE_KEYS = {
    "files",
    "jobs",
    "uploads",
    "files_by_purpose",
    "jobs_by_status",
    "file_list",
    "job_list",
    "webhook_deliveries",
}


def test_a_file_of_one_world_is_unknown_to_the_other(
    azure: openai.OpenAI, client: openai.OpenAI
) -> None:
    on_azure = upload(azure, ROWS)
    on_openai = upload(client, ROWS)

    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(on_azure)
    with pytest.raises(openai.NotFoundError):
        azure.files.retrieve(on_openai)
    assert [f.id for f in azure.files.list().data] == [on_azure]
    assert [f.id for f in client.files.list().data] == [on_openai]


def test_a_job_cannot_train_on_the_other_worlds_file(
    azure: openai.OpenAI, client: openai.OpenAI
) -> None:
    with pytest.raises(openai.BadRequestError) as on_azure:
        dpo_job(azure, upload(client, ROWS))
    with pytest.raises(openai.BadRequestError) as on_openai:
        dpo_job(client, upload(azure, ROWS))

    assert on_azure.value.param == "training_file"
    assert on_openai.value.param == "training_file"


def test_jobs_and_their_models_stay_in_their_world(
    azure: openai.OpenAI, client: openai.OpenAI
) -> None:
    azure_job = wait_for(azure, dpo_job(azure, upload(azure, ROWS)).id)
    openai_job = wait_for(client, dpo_job(client, upload(client, ROWS)).id)
    assert azure_job.fine_tuned_model is not None
    assert openai_job.fine_tuned_model is not None

    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve(azure_job.id)
    with pytest.raises(openai.BadRequestError) as info:  # OpenAI never made Azure's model
        dpo_job(client, upload(client, ROWS), model=azure_job.fine_tuned_model)
    assert info.value.param == "model"
    assert [job.id for job in azure.fine_tuning.jobs.list().data] == [azure_job.id]


def test_state_nests_azure_and_keeps_openais_keys(
    azure: openai.OpenAI, client: openai.OpenAI, emulator: RunningEmulator
) -> None:
    training = upload(azure, ROWS)
    dpo_job(azure, training, extra_body={"trainingType": "Standard"}, seed=5)
    upload(client, ROWS)
    state = emulator.state()

    assert set(state) >= OPENAI_STATE_KEYS | {"azure", "settings", "requests"}
    assert (state["files"], state["jobs"]) == (1, 0)  # OpenAI's, unprefixed as always
    part = state["azure"]
    assert (part["files"], part["jobs"]) == (1, 1)
    assert part["file_list"][0]["id"] == training
    job = part["job_list"][0]
    assert (job["training_file"], job["seed"], job["trainingType"]) == (training, 5, "standard")
    assert "webhook_deliveries" not in part  # Azure sends no webhooks


def test_reset_clears_both_worlds(
    azure: openai.OpenAI, client: openai.OpenAI, emulator: RunningEmulator
) -> None:
    dpo_job(azure, upload(azure, ROWS))
    dpo_job(client, upload(client, ROWS))
    before = emulator.state()
    emulator.reset()
    after = emulator.state()

    assert (before["jobs"], before["azure"]["jobs"]) == (1, 1)
    assert (after["files"], after["jobs"]) == (0, 0)
    assert (after["azure"]["files"], after["azure"]["jobs"]) == (0, 0)
    assert azure.files.list().data == []


def test_azures_routes_live_under_openai_v1_only(emulator: RunningEmulator) -> None:
    headers = {"api-key": AZURE_KEY}
    azure = httpx.get(f"{emulator.url}{AZURE_PATH}/fine_tuning/jobs", headers=headers)
    elsewhere = httpx.get(f"{emulator.url}/openai/fine_tuning/jobs", headers=headers)

    assert azure.status_code == 200
    assert elsewhere.status_code == 404
