"""Fine-tuning jobs through the real openai SDK: lifecycle, failures, listing, chaining."""

from __future__ import annotations

from typing import Any

import openai
import pytest

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


def test_dpo_job_succeeds_with_events_checkpoints_and_results(client: openai.OpenAI) -> None:
    training = upload(client, ROWS)
    created = dpo_job(client, training, metadata={"request_id": "r-1"}, suffix="prefs")
    assert created.status == "validating_files"
    assert created.id.startswith("ftjob-")
    assert created.method is not None and created.method.dpo is not None
    assert created.method.dpo.hyperparameters is not None
    assert created.method.dpo.hyperparameters.n_epochs == "auto"

    job = wait_for(client, created.id)

    assert job.status == "succeeded"
    assert job.fine_tuned_model is not None
    prefix, base, org, suffix, tag = job.fine_tuned_model.split(":")
    assert (prefix, base, org, suffix, len(tag)) == ("ft", DPO_MODEL, "ftjobs-emulator", "prefs", 8)
    assert job.model_dump()["hyperparameters"] is None  # DPO: only method.dpo.hyperparameters
    assert job.method is not None and job.method.dpo is not None
    resolved = job.method.dpo.hyperparameters
    assert resolved is not None
    assert resolved.beta == 0.1
    assert isinstance(resolved.n_epochs, int)
    assert isinstance(resolved.batch_size, int)
    assert job.trained_tokens == words(ROWS) * resolved.n_epochs
    assert job.finished_at is not None
    assert job.estimated_finish is None
    assert job.error is None
    assert job.metadata == {"request_id": "r-1"}


def test_success_events_are_newest_first_and_complete(client: openai.OpenAI) -> None:
    job = wait_for(client, dpo_job(client, upload(client, ROWS)).id)
    events = client.fine_tuning.jobs.list_events(job.id, limit=1000).data
    messages = [event.message for event in reversed(events)]

    assert messages[0] == f"Created fine-tuning job: {job.id}"
    assert messages[1] == f"Validating training file: {job.training_file}"
    assert messages[2] == "Files validated, moving job to queued state"
    assert messages[3] == "Fine-tuning job started"
    assert messages[-2] == f"New fine-tuned model created: {job.fine_tuned_model}"
    assert messages[-1] == "Fine-tuning job successfully completed"
    assert all(event.id.startswith("ftevent-") for event in events)
    metrics = [event for event in reversed(events) if event.type == "metrics"]
    assert metrics
    total = event_data(metrics[0])["total_steps"]
    assert set(event_data(metrics[0])) >= {"step", "train_loss", "train_mean_token_accuracy"}
    assert event_data(metrics[-1])["step"] == total
    assert metrics[-1].message.startswith(f"Step {total}/{total}: training loss=")


def test_event_pagination_walks_back_in_time(client: openai.OpenAI) -> None:
    job = wait_for(client, dpo_job(client, upload(client, ROWS)).id)
    everything = client.fine_tuning.jobs.list_events(job.id, limit=1000).data
    first = client.fine_tuning.jobs.list_events(job.id, limit=2)
    second = client.fine_tuning.jobs.list_events(job.id, limit=2, after=first.data[-1].id)

    assert first.has_more
    assert [event.id for event in first.data + second.data] == [e.id for e in everything[:4]]


def test_checkpoints_keep_the_last_three_epochs(client: openai.OpenAI) -> None:
    method = {"type": "dpo", "dpo": {"hyperparameters": {"n_epochs": 5, "batch_size": 4}}}
    job = wait_for(client, dpo_job(client, upload(client, ROWS), method=method).id)
    page = client.fine_tuning.jobs.checkpoints.list(job.id)

    steps_per_epoch = 3  # ceil(12 rows / batch 4)
    assert [c.step_number for c in page.data] == [15, 12, 9]
    assert page.model_dump()["first_id"] == page.data[0].id
    assert page.model_dump()["last_id"] == page.data[-1].id
    for checkpoint in page.data:
        assert checkpoint.fine_tuned_model_checkpoint == (
            f"{job.fine_tuned_model}:ckpt-step-{checkpoint.step_number}"
        )
        assert checkpoint.metrics.train_loss is not None
        assert checkpoint.step_number % steps_per_epoch == 0
    after = client.fine_tuning.jobs.checkpoints.list(job.id, limit=1, after=page.data[0].id)
    assert [c.step_number for c in after.data] == [12]
    assert after.has_more


def test_result_file_is_the_metrics_csv(client: openai.OpenAI) -> None:
    job = wait_for(client, dpo_job(client, upload(client, ROWS)).id)
    result = client.files.retrieve(job.result_files[0])
    lines = client.files.content(result.id).text.splitlines()
    metric_events = [
        event
        for event in client.fine_tuning.jobs.list_events(job.id, limit=1000).data
        if event.type == "metrics"
    ]

    assert result.purpose == "fine-tune-results"
    assert lines[0] == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"
    assert len(lines) - 1 == len(metric_events)
    assert lines[1].startswith("1,")


def test_supervised_job_reports_top_level_hyperparameters(client: openai.OpenAI) -> None:
    training = upload(client, [sft_row(index) for index in range(10)])
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=training, hyperparameters={"n_epochs": 2}
    )
    job = wait_for(client, job.id)

    assert job.status == "succeeded"
    assert job.hyperparameters is not None
    assert job.hyperparameters.n_epochs == 2
    assert isinstance(job.hyperparameters.batch_size, int)
    assert job.method is not None and job.method.type == "supervised"


def test_dpo_can_start_from_the_sft_model(client: openai.OpenAI) -> None:
    sft = client.fine_tuning.jobs.create(
        model=DPO_MODEL, training_file=upload(client, [sft_row(index) for index in range(10)])
    )
    sft = wait_for(client, sft.id)
    assert sft.fine_tuned_model is not None

    dpo = wait_for(client, dpo_job(client, upload(client, ROWS), model=sft.fine_tuned_model).id)

    assert dpo.status == "succeeded"
    assert dpo.model == sft.fine_tuned_model
    assert dpo.fine_tuned_model is not None
    assert dpo.fine_tuned_model.startswith(f"ft:{DPO_MODEL}:")
    with pytest.raises(openai.BadRequestError) as info:
        dpo_job(client, upload(client, ROWS), model=f"ft:{DPO_MODEL}:someone-else::abcdefgh")
    assert info.value.param == "model"


def test_list_filters_on_metadata_newest_first(client: openai.OpenAI) -> None:
    training = upload(client, ROWS)
    first = dpo_job(client, training, metadata={"team": "a", "n": "1"})
    second = dpo_job(client, training, metadata={"team": "a", "n": "2"})
    dpo_job(client, training, metadata={"team": "b"})
    dpo_job(client, training)

    team_a = client.fine_tuning.jobs.list(metadata={"team": "a"}).data
    exact = client.fine_tuning.jobs.list(metadata={"team": "a", "n": "1"}).data
    everything = client.fine_tuning.jobs.list(limit=2)
    rest = client.fine_tuning.jobs.list(limit=10, after=everything.data[-1].id)

    assert [job.id for job in team_a] == [second.id, first.id]
    assert [job.id for job in exact] == [first.id]
    assert everything.has_more
    assert [job.id for job in rest.data] == [second.id, first.id]
    assert not rest.has_more


@pytest.mark.parametrize(
    ("rows", "code", "fragment"),
    [
        ([dpo_row(index) for index in range(3)], "invalid_n_examples", "has 3 example(s)"),
        ([sft_row(index) for index in range(10)], "invalid_training_file", "fine-tune-chat"),
        (
            [{k: v for k, v in dpo_row(i).items() if k != "preferred_output"} for i in range(10)],
            "invalid_training_file",
            "Example 1 is missing key 'preferred_output'.",
        ),
    ],
)
def test_bad_training_data_fails_the_job_not_the_create(
    client: openai.OpenAI, rows: list[dict[str, Any]], code: str, fragment: str
) -> None:
    training = upload(client, rows)
    created = dpo_job(client, training)  # accepted: data is checked during validating_files
    job = wait_for(client, created.id)

    assert job.status == "failed"
    assert job.error is not None
    assert job.error.code == code
    assert job.error.param == "training_file"
    assert fragment in job.error.message
    if code == "invalid_n_examples":
        assert (
            job.error.message
            == "Training file has 3 example(s), but must have at least 10 examples"
        )
    last = client.fine_tuning.jobs.list_events(job.id, limit=1).data[0]
    assert (last.level, last.message) == ("error", job.error.message)
    assert job.fine_tuned_model is None
    assert job.finished_at is not None


def test_bad_validation_file_names_validation_file(client: openai.OpenAI) -> None:
    training = upload(client, ROWS)
    validation = upload(client, [dpo_row(index) for index in range(2)], name="valid.jsonl")
    job = wait_for(client, dpo_job(client, training, validation_file=validation).id)

    assert job.error is not None
    assert (job.error.code, job.error.param) == ("invalid_n_examples", "validation_file")


def test_validation_file_adds_validation_metrics(client: openai.OpenAI) -> None:
    training = upload(client, ROWS)
    validation = upload(client, ROWS[:10], name="valid.jsonl")
    job = wait_for(client, dpo_job(client, training, validation_file=validation).id)
    events = client.fine_tuning.jobs.list_events(job.id, limit=1000).data
    metrics = next(event for event in events if event.type == "metrics")

    assert job.status == "succeeded"
    assert "valid_loss" in event_data(metrics)
    assert ", validation loss=" in metrics.message
    assert any(event.message.endswith(f"and validation file: {validation}") for event in events)


@pytest.mark.parametrize(
    ("suffix", "code"),
    [("emu-fail", "server_error"), ("emu-fail-invalid_training_file", "invalid_training_file")],
)
def test_emu_fail_suffix_fails_while_running(client: openai.OpenAI, suffix: str, code: str) -> None:
    job = wait_for(client, dpo_job(client, upload(client, ROWS), suffix=suffix).id)
    messages = [e.message for e in client.fine_tuning.jobs.list_events(job.id, limit=100).data]

    assert job.status == "failed"
    assert job.error is not None
    assert (job.error.code, job.error.param) == (code, None)
    assert "Fine-tuning job started" in messages  # it failed in the running phase
    assert job.fine_tuned_model is None
    assert job.result_files == []
