"""The job clock on a hand-driven clock: phases, the per-model running cap, cancel, pause/resume."""

from __future__ import annotations

from typing import cast

import openai
import pytest

from tests.emulators.helpers import ManualClock, RunningEmulator
from tests.emulators.openai_compat.helpers import DPO_MODEL, dpo_job, dpo_row, error_message, upload

ROWS = [dpo_row(index) for index in range(12)]
PHASE = 10.0  # slow_emulator's phase_seconds


def status(client: openai.OpenAI, job_id: str) -> str:
    return client.fine_tuning.jobs.retrieve(job_id).status


def test_phases_follow_elapsed_time(slow_emulator: RunningEmulator, clock: ManualClock) -> None:
    with slow_emulator.client() as client:
        job = dpo_job(client, upload(client, ROWS))
        seen = [status(client, job.id)]
        for _ in range(3):
            clock.advance(PHASE)
            seen.append(status(client, job.id))
        running = client.fine_tuning.jobs.retrieve(job.id)

    assert seen == ["validating_files", "queued", "running", "succeeded"]
    assert running.finished_at == int(clock.now)


def test_estimated_finish_only_while_running(
    slow_emulator: RunningEmulator, clock: ManualClock
) -> None:
    with slow_emulator.client() as client:
        job = dpo_job(client, upload(client, ROWS))
        clock.advance(2 * PHASE + 1)
        running = client.fine_tuning.jobs.retrieve(job.id)
        clock.advance(PHASE)
        done = client.fine_tuning.jobs.retrieve(job.id)

    assert running.status == "running"
    assert running.estimated_finish == round(clock.now - 1)
    assert done.status == "succeeded"
    assert done.estimated_finish is None


def test_one_running_job_per_model_others_wait_queued(
    slow_emulator: RunningEmulator, clock: ManualClock
) -> None:
    """slow_emulator allows one running job per model."""
    with slow_emulator.client() as client:
        training = upload(client, ROWS)
        first, second = dpo_job(client, training), dpo_job(client, training)
        other = dpo_job(client, training, model="gpt-4.1-nano-2025-04-14")
        clock.advance(2 * PHASE)
        at_start = [status(client, job.id) for job in (first, second, other)]
        clock.advance(PHASE)
        after_first = [status(client, job.id) for job in (first, second, other)]
        clock.advance(PHASE)
        final = status(client, second.id)

    assert at_start == ["running", "queued", "running"]
    assert after_first == ["succeeded", "running", "succeeded"]
    assert final == "succeeded"


def test_cancel_frees_the_slot_and_is_final(
    slow_emulator: RunningEmulator, clock: ManualClock
) -> None:
    with slow_emulator.client() as client:
        training = upload(client, ROWS)
        first, second = dpo_job(client, training), dpo_job(client, training)
        clock.advance(2 * PHASE)
        cancelled = client.fine_tuning.jobs.cancel(first.id)
        promoted = status(client, second.id)
        events = client.fine_tuning.jobs.list_events(first.id, limit=1).data
        with pytest.raises(openai.BadRequestError):
            client.fine_tuning.jobs.cancel(first.id)
        clock.advance(5 * PHASE)
        still = client.fine_tuning.jobs.retrieve(first.id)

    assert cancelled.status == "cancelled"
    assert cancelled.finished_at is not None
    assert promoted == "running"
    assert events[0].message == "Job cancelled"
    assert still.status == "cancelled"
    assert still.fine_tuned_model is None


def test_pause_keeps_progress_and_resume_queues_first(
    slow_emulator: RunningEmulator, clock: ManualClock
) -> None:
    with slow_emulator.client() as client:
        job = dpo_job(client, upload(client, ROWS))
        with pytest.raises(openai.BadRequestError):
            client.fine_tuning.jobs.pause(job.id)  # only running jobs pause
        clock.advance(2 * PHASE + PHASE / 2)
        paused = client.fine_tuning.jobs.pause(job.id)
        steps_at_pause = _metric_events(client, job.id)
        clock.advance(100 * PHASE)
        idle = client.fine_tuning.jobs.retrieve(job.id)
        steps_while_paused = _metric_events(client, job.id)
        resumed = client.fine_tuning.jobs.resume(job.id)
        clock.advance(PHASE + PHASE / 2 - 0.1)
        nearly = client.fine_tuning.jobs.retrieve(job.id)
        clock.advance(0.2)
        done = client.fine_tuning.jobs.retrieve(job.id)
        messages = [e.message for e in client.fine_tuning.jobs.list_events(job.id, limit=200).data]

    # "paused" is missing from the SDK's status Literal, but passes through as a string
    assert cast(str, paused.status) == "paused"
    assert cast(str, idle.status) == "paused"
    assert 0 < steps_at_pause == steps_while_paused
    assert resumed.status == "queued"
    assert nearly.status == "running"  # the half already trained is not repeated
    assert done.status == "succeeded"
    assert {"Job paused", "Job resumed"} <= set(messages)
    assert messages.count("Fine-tuning job started") == 1


def _metric_events(client: openai.OpenAI, job_id: str) -> int:
    events = client.fine_tuning.jobs.list_events(job_id, limit=1000).data
    return sum(1 for event in events if event.type == "metrics")


def test_uploads_expire_after_an_hour(slow_emulator: RunningEmulator, clock: ManualClock) -> None:
    with slow_emulator.client() as client:
        created = client.uploads.create(
            bytes=3, filename="big.jsonl", mime_type="text/jsonl", purpose="fine-tune"
        )
        clock.advance(3601)
        with pytest.raises(openai.BadRequestError) as info:
            client.uploads.parts.create(created.id, data=b"abc")

    assert created.expires_at == created.created_at + 3600
    assert "expired" in error_message(info.value)


def test_no_suffix_leaves_an_empty_suffix_segment(
    slow_emulator: RunningEmulator, clock: ManualClock
) -> None:
    with slow_emulator.client() as client:
        job = dpo_job(client, upload(client, ROWS), suffix=None)
        clock.advance(3 * PHASE)
        done = client.fine_tuning.jobs.retrieve(job.id)

    assert done.fine_tuned_model is not None
    assert done.fine_tuned_model.startswith(f"ft:{DPO_MODEL}:ftjobs-emulator::")
