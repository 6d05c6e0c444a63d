"""Azure's flavor through the real SDK: the whole DPO lifecycle, Azure's ids and model names,
the models it tunes, chaining on fine-tuned models, metadata not kept, seed kept."""

from __future__ import annotations

import re

import httpx
import openai
import pytest

from tests.emulators.azure.helpers import AZURE_KEY, AZURE_PATH, HEX32, fine_tuned_pattern
from tests.emulators.helpers import RunningEmulator
from tests.emulators.openai_compat.helpers import (
    DPO_MODEL,
    dpo_job,
    dpo_row,
    event_data,
    sft_row,
    upload,
    wait_for,
    words,
)

ROWS = [dpo_row(index) for index in range(12)]
SFT_ROWS = [sft_row(index) for index in range(10)]


def test_dpo_job_on_the_developer_tier_runs_to_success(azure: openai.OpenAI) -> None:
    training = upload(azure, ROWS)
    method = {"type": "dpo", "dpo": {"hyperparameters": {"n_epochs": 2, "batch_size": 4}}}
    created = dpo_job(
        azure, training, method=method, suffix="prefs", extra_body={"trainingType": "Developer"}
    )
    assert created.status == "validating_files"
    assert created.model_extra is not None
    assert created.model_extra["trainingType"] == "developer"

    job = wait_for(azure, created.id)

    assert job.status == "succeeded"
    assert job.fine_tuned_model is not None
    assert fine_tuned_pattern(DPO_MODEL).fullmatch(job.fine_tuned_model)
    assert job.model_dump()["user_provided_suffix"] == "prefs"  # kept, but not in the name
    assert job.model_dump()["hyperparameters"] is None  # DPO, as on OpenAI
    assert job.trained_tokens == words(ROWS) * 2
    assert job.model_extra is not None
    assert job.model_extra["trainingType"] == "developer"

    events = azure.fine_tuning.jobs.list_events(job.id, limit=1000).data
    messages = [event.message for event in reversed(events)]
    assert messages[0] == f"Created fine-tuning job: {job.id}"
    assert messages[-2] == f"New fine-tuned model created: {job.fine_tuned_model}"
    assert messages[-1] == "Fine-tuning job successfully completed"
    metrics = [event for event in events if event.type == "metrics"]
    assert event_data(metrics[0])["step"] == event_data(metrics[0])["total_steps"] == 6

    checkpoints = azure.fine_tuning.jobs.checkpoints.list(job.id).data
    assert [c.step_number for c in checkpoints] == [6, 3]  # one per epoch, newest first
    assert checkpoints[0].fine_tuned_model_checkpoint == f"{job.fine_tuned_model}:ckpt-step-6"

    result = azure.files.retrieve(job.result_files[0])
    assert result.purpose == "fine-tune-results"
    assert azure.files.content(result.id).text.startswith("step,train_loss,")


def test_ids_are_azures_prefix_and_32_hex(azure: openai.OpenAI) -> None:
    training = upload(azure, ROWS)
    job = wait_for(azure, dpo_job(azure, training).id)
    event = azure.fine_tuning.jobs.list_events(job.id, limit=1).data[0]
    checkpoint = azure.fine_tuning.jobs.checkpoints.list(job.id).data[0]

    assert re.fullmatch(f"file-{HEX32}", training)
    assert re.fullmatch(f"ftjob-{HEX32}", job.id)
    assert re.fullmatch(f"ftevent-{HEX32}", event.id)
    assert re.fullmatch(f"ftchkpt-{HEX32}", checkpoint.id)
    assert re.fullmatch(f"file-{HEX32}", job.result_files[0])


def test_sft_then_dpo_on_the_sft_model_then_on_a_checkpoint(azure: openai.OpenAI) -> None:
    base = "gpt-4.1-2025-04-14"
    sft = azure.fine_tuning.jobs.create(model=base, training_file=upload(azure, SFT_ROWS))
    sft = wait_for(azure, sft.id)
    assert sft.status == "succeeded"
    assert sft.fine_tuned_model is not None
    checkpoint = azure.fine_tuning.jobs.checkpoints.list(sft.id).data[-1]

    dpo = wait_for(azure, dpo_job(azure, upload(azure, ROWS), model=sft.fine_tuned_model).id)
    from_checkpoint = dpo_job(
        azure, upload(azure, ROWS), model=checkpoint.fine_tuned_model_checkpoint
    )

    assert dpo.status == "succeeded"
    assert dpo.model == sft.fine_tuned_model
    assert dpo.fine_tuned_model is not None
    assert fine_tuned_pattern(base).fullmatch(dpo.fine_tuned_model)  # named after the base
    assert dpo.fine_tuned_model != sft.fine_tuned_model
    assert from_checkpoint.model == checkpoint.fine_tuned_model_checkpoint


@pytest.mark.parametrize(
    "model",
    [
        "gpt-4.1-mini",  # OpenAI's alias: Azure names dated versions only
        "gpt-3.5-turbo-0125",
        "babbage-002",
        f"{DPO_MODEL}.ft-{'0' * 32}",  # shaped like one, but this resource never made it
        f"ft:{DPO_MODEL}:org::abcdefgh",  # OpenAI's name for a fine-tuned model
    ],
)
def test_a_model_azure_does_not_tune_is_a_400(azure: openai.OpenAI, model: str) -> None:
    training = upload(azure, ROWS)
    with pytest.raises(openai.BadRequestError) as info:
        dpo_job(azure, training, model=model)
    assert info.value.param == "model"
    assert info.value.code == "model_not_available"


@pytest.mark.parametrize("model", ["gpt-4.1-nano-2025-04-14", "gpt-4o-mini-2024-07-18"])
def test_sft_only_models_refuse_dpo_and_take_sft(azure: openai.OpenAI, model: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        dpo_job(azure, upload(azure, ROWS), model=model)
    sft = azure.fine_tuning.jobs.create(model=model, training_file=upload(azure, SFT_ROWS))

    assert info.value.param == "method.type"
    assert sft.model == model


def test_metadata_is_accepted_but_not_kept(azure: openai.OpenAI, emulator: RunningEmulator) -> None:
    training = upload(azure, ROWS)
    created = dpo_job(azure, training, metadata={"ftjobs_job": "job_1"})
    retrieved = azure.fine_tuning.jobs.retrieve(created.id)
    filtered = azure.fine_tuning.jobs.list(metadata={"ftjobs_job": "job_1"}).data
    everything = azure.fine_tuning.jobs.list().data

    assert created.metadata is None
    assert retrieved.metadata is None
    assert filtered == []  # the filter matches nothing, not everything
    assert [job.id for job in everything] == [created.id]
    assert emulator.state()["azure"]["job_list"][0]["metadata"] is None


def test_seed_is_kept_exactly_and_generated_when_absent(azure: openai.OpenAI) -> None:
    training = upload(azure, ROWS)
    seeded = dpo_job(azure, training, seed=2_147_483_647)
    unseeded = dpo_job(azure, training)
    listed = {job.id: job.seed for job in azure.fine_tuning.jobs.list().data}

    assert seeded.seed == 2_147_483_647
    assert azure.fine_tuning.jobs.retrieve(seeded.id).seed == 2_147_483_647
    assert isinstance(unseeded.seed, int)
    assert listed == {seeded.id: 2_147_483_647, unseeded.id: unseeded.seed}


def test_pause_resume_and_cancel(azure: openai.OpenAI, emulator: RunningEmulator) -> None:
    emulator.set(run_seconds=30.0)  # long enough to pause while it runs
    job = dpo_job(azure, upload(azure, ROWS))
    wait_for(azure, job.id, ("running",))
    paused = azure.fine_tuning.jobs.pause(job.id)
    resumed = azure.fine_tuning.jobs.resume(job.id)
    cancelled = azure.fine_tuning.jobs.cancel(job.id)
    with pytest.raises(openai.BadRequestError):
        azure.fine_tuning.jobs.cancel(job.id)

    assert (paused.status, resumed.status, cancelled.status) == ("paused", "queued", "cancelled")
    messages = [e.message for e in azure.fine_tuning.jobs.list_events(job.id, limit=100).data]
    assert messages[:3] == ["Job cancelled", "Job resumed", "Job paused"]


def test_unknown_job_and_file_are_404s(emulator: RunningEmulator) -> None:
    headers = {"api-key": AZURE_KEY}
    job = httpx.get(f"{emulator.url}{AZURE_PATH}/fine_tuning/jobs/ftjob-nope", headers=headers)
    file = httpx.get(f"{emulator.url}{AZURE_PATH}/files/file-nope", headers=headers)

    assert job.status_code == 404
    assert job.json()["error"]["param"] == "fine_tuning_job_id"
    assert file.status_code == 404
