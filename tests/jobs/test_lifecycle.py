"""The worker's steps on the real database with a scripted provider: uploads once, never a second
OpenAI job, permanent errors end the job, transient ones reschedule, one worker per job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from service.blobstore import BlobStore
from service.db.engine import create_engine, session_factory
from service.db.locks import try_advisory_lock
from service.db.models import Job
from service.ids import new_id
from service.jobs import batch, lifecycle, repository
from service.jobs import service as jobs
from service.jobs.hooks import JobHooks
from service.jobs.lifecycle import Runtime
from service.jobs.reconcile import claim_due_jobs
from service.jobs.timing import Timing
from service.providers.base import JobSpec, ProviderError
from tests.jobs.fakes import FakeProvider
from tests.support.data import dpo_row, dpo_rows, jsonl
from tests.support.records import ready_dataset
from tests.support.services import Backing

LEASE = timedelta(seconds=60)
TIMING = Timing(poll_interval=0.1, lease=60, retry_base=1, retry_max=10)


@asynccontextmanager
async def runtime(backing: Backing, root: Path, provider: FakeProvider) -> AsyncIterator[Runtime]:
    engine = create_engine(backing.database_url, pooled=False)
    try:
        yield Runtime(
            engine=engine,
            sessions=session_factory(engine),
            provider=provider,
            blobs=BlobStore(root),
            timing=TIMING,
        )
    finally:
        await engine.dispose()


async def new_job(rt: Runtime, body: bytes = b"{}\n" * 10, **fields: Any) -> Job:
    async with rt.sessions.begin() as session:
        dataset_id = await add_dataset(rt, session, body)
        request = jobs.JobRequest(
            training_dataset_id=dataset_id, model="gpt-4o-2024-08-06", **fields
        )
        return await jobs.create(session, "t", request, lease=LEASE)


async def add_dataset(rt: Runtime, session: AsyncSession, body: bytes) -> str:
    key = f"datasets/{new_id('blob')}.jsonl"
    rt.blobs.path(key).parent.mkdir(parents=True, exist_ok=True)
    rt.blobs.path(key).write_bytes(body)
    dataset = ready_dataset(blob_key=key, size=len(body), examples=body.count(b"\n"))
    session.add(dataset)
    await session.flush()
    return dataset.id


async def reload(rt: Runtime, job_id: str) -> Job:
    async with rt.sessions() as session:
        job = await repository.get(session, job_id)
    assert job is not None
    return job


def run(
    backing: Backing,
    tmp_path: Path,
    provider: FakeProvider,
    scenario: Callable[[Runtime], Awaitable[None]],
) -> None:
    async def main() -> None:
        async with runtime(backing, tmp_path, provider) as rt:
            await scenario(rt)

    asyncio.run(main())


def test_submit_then_poll_to_success(clean: Backing, tmp_path: Path) -> None:
    provider = FakeProvider()

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        await lifecycle.advance(rt, job.id)
        submitted = await reload(rt, job.id)
        assert submitted.status == "validating_files"
        assert submitted.openai_job_id in provider.jobs
        provider.finish(submitted.openai_job_id or "", "succeeded")
        await lifecycle.advance(rt, job.id)
        done = await reload(rt, job.id)
        assert (done.status, done.fine_tuned_model, done.wake_at) == (
            "succeeded",
            "ft:m:org::abc",
            None,
        )
        await lifecycle.advance(rt, job.id)  # a late duplicate is a no-op
        assert provider.calls.count("create_job") == 1
        assert provider.calls.count("upload_file") == 1

    run(clean, tmp_path, provider, scenario)


def test_finished_hooks_run_once_in_the_final_transaction(clean: Backing, tmp_path: Path) -> None:
    provider = FakeProvider()
    seen: list[tuple[str, str]] = []

    async def hook(session: AsyncSession, job: Job) -> None:
        seen.append((job.id, job.status))

    async def scenario(rt: Runtime) -> None:
        rt.hooks = JobHooks(on_finished=(hook,))
        job = await new_job(rt)
        await lifecycle.advance(rt, job.id)
        provider.finish((await reload(rt, job.id)).openai_job_id or "", "succeeded")
        await lifecycle.advance(rt, job.id)
        await lifecycle.advance(rt, job.id)
        assert seen == [(job.id, "succeeded")]

    run(clean, tmp_path, provider, scenario)


def test_a_create_that_may_have_happened_is_found_not_repeated(
    clean: Backing, tmp_path: Path
) -> None:
    provider = FakeProvider(
        create_then_raise=True,
        create_error=ProviderError(
            "dropped", code="connection_error", retryable=True, ambiguous=True
        ),
    )

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        await lifecycle.advance(rt, job.id)
        assert (await reload(rt, job.id)).status == "validating_files"
        assert len(provider.jobs) == 1
        assert (
            provider.calls == ["find_job", "upload_file", "find_job", "create_job", "find_job"][1:]
            or provider.calls.count("create_job") == 1
        )

    run(clean, tmp_path, provider, scenario)


def test_a_crash_after_create_is_recovered_by_looking_first(clean: Backing, tmp_path: Path) -> None:
    provider = FakeProvider()

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        # A worker created the job at OpenAI and died before writing its id down.
        await provider.create_job(
            JobSpec(
                model="m",
                training_file="f",
                method="dpo",
                hyperparameters={},
                metadata={"ftjobs_job_id": job.id},
            )
        )
        await lifecycle.advance(rt, job.id)
        again = await reload(rt, job.id)
        assert again.openai_job_id in provider.jobs
        assert len(provider.jobs) == 1

    run(clean, tmp_path, provider, scenario)


def test_permanent_error_fails_with_the_providers_words(clean: Backing, tmp_path: Path) -> None:
    message = "OpenAI is winding down the fine-tuning platform and your organization is no longer"
    provider = FakeProvider(
        create_error=ProviderError(
            message, code="training_not_available", status=403, retryable=False
        )
    )

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        await lifecycle.advance(rt, job.id)
        failed = await reload(rt, job.id)
        assert (failed.status, failed.error_code, failed.error_message) == (
            "failed",
            "training_not_available",
            message,
        )
        assert (failed.error_retryable, failed.wake_at) == (False, None)
        await lifecycle.advance(rt, job.id)
        assert provider.calls.count("create_job") == 1  # never retried

    run(clean, tmp_path, provider, scenario)


def test_transient_error_reschedules_with_backoff(clean: Backing, tmp_path: Path) -> None:
    provider = FakeProvider()

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        await lifecycle.advance(rt, job.id)
        provider.get_error = ProviderError(
            "busy", code="rate_limit_exceeded", status=429, retryable=True, retry_after=30
        )
        before = await reload(rt, job.id)
        await lifecycle.advance(rt, job.id)
        after = await reload(rt, job.id)
        assert (after.status, after.attempts) == (before.status, 1)
        assert after.wake_at is not None and before.wake_at is not None
        assert (after.wake_at - before.wake_at).total_seconds() >= 29  # Retry-After honoured

    run(clean, tmp_path, provider, scenario)


def test_one_worker_per_job(clean: Backing, tmp_path: Path) -> None:
    provider = FakeProvider()

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        async with try_advisory_lock(rt.engine, f"job:{job.id}") as held:
            assert held
            await lifecycle.advance(rt, job.id)  # another worker holds it: returns at once
        assert provider.calls == []
        assert (await reload(rt, job.id)).status == "pending"

    run(clean, tmp_path, provider, scenario)


def test_cancel_before_openai_and_a_refused_pause(clean: Backing, tmp_path: Path) -> None:
    provider = FakeProvider()

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        async with rt.sessions.begin() as session:
            await jobs.request_cancel(session, None, job.id)
        await lifecycle.advance(rt, job.id)
        assert (await reload(rt, job.id)).status == "cancelled"
        assert "create_job" not in provider.calls
        running = await new_job(rt)
        await lifecycle.advance(rt, running.id)
        remote_id = (await reload(rt, running.id)).openai_job_id or ""
        provider.finish(remote_id, "running")
        await lifecycle.advance(rt, running.id)
        async with rt.sessions.begin() as session:
            await jobs.request_action(session, None, running.id, "pause")
        await lifecycle.advance(rt, running.id)  # OpenAI refuses: the job is not failed
        after = await reload(rt, running.id)
        assert (after.status, after.requested_action) == ("running", None)

    run(clean, tmp_path, provider, scenario)


@pytest.mark.parametrize("due", [True, False])
def test_scheduler_claims_due_jobs_once_per_lease(
    clean: Backing, tmp_path: Path, due: bool
) -> None:
    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        if due:
            async with rt.sessions.begin() as session:
                await repository.set_fields(session, job.id, wake_at=job.created_at)
        first = await claim_due_jobs(rt.sessions, lease=LEASE)
        second = await claim_due_jobs(rt.sessions, lease=LEASE)
        assert first.steps == ([job.id] if due else [])  # pending: a step of its own
        assert (first.polls, second.steps, second.polls) == ([], [], [])

    run(clean, tmp_path, FakeProvider(), scenario)


def test_a_poll_round_reads_the_list_not_each_job(clean: Backing, tmp_path: Path) -> None:
    provider = FakeProvider()

    async def scenario(rt: Runtime) -> None:
        ids = [(await new_job(rt)).id for _ in range(5)]
        for job_id in ids:
            await lifecycle.advance(rt, job_id)  # submitted: validating_files at OpenAI
        remote_ids = [(await reload(rt, job_id)).openai_job_id or "" for job_id in ids]
        for remote_id in remote_ids[:3]:
            provider.finish(remote_id, "running")
        provider.calls.clear()
        calls = await batch.poll_batch(rt, ids, round_number=0)
        assert provider.calls.count("get_job") == 0
        assert provider.calls.count("list_jobs") == 1
        # Events only for moved jobs, half of them a round; never a retrieve per job.
        assert provider.calls.count("list_new_events") <= 3
        assert calls == len(provider.calls) < len(ids)
        statuses = [(await reload(rt, job_id)).status for job_id in ids]
        assert statuses == ["running"] * 3 + ["validating_files"] * 2

    run(clean, tmp_path, provider, scenario)


def test_a_poll_round_survives_openai_errors(clean: Backing, tmp_path: Path) -> None:
    provider = FakeProvider()
    busy = ProviderError("slow down", code="rate_limit_exceeded", status=429, retryable=True)

    async def scenario(rt: Runtime) -> None:
        ids = [(await new_job(rt)).id for _ in range(2)]
        for job_id in ids:
            await lifecycle.advance(rt, job_id)
        provider.list_error = busy
        assert await batch.poll_batch(rt, ids, round_number=0) == 1  # raised nothing
        assert [(await reload(rt, i)).status for i in ids] == ["validating_files"] * 2
        provider.list_error = None
        gone = ProviderError("no such job", code="http_404", status=404, retryable=False)
        provider.jobs.pop((await reload(rt, ids[0])).openai_job_id or "")
        provider.get_error = gone  # the job vanished at OpenAI: only that one ends
        await batch.poll_batch(rt, ids, round_number=1)
        first, second = [await reload(rt, i) for i in ids]
        assert (first.status, first.error_code) == ("failed", "http_404")
        assert second.status == "validating_files"

    run(clean, tmp_path, provider, scenario)


def test_validation_prompts_in_the_training_data_are_a_warning_event(
    clean: Backing, tmp_path: Path
) -> None:
    """Checked once, before anything is sent; the job still runs with both files."""
    provider = FakeProvider()
    training = jsonl(dpo_rows(12))
    validation = jsonl([dpo_row(100), dpo_row(5), dpo_row(7, prompt="Question number 3?")])

    async def scenario(rt: Runtime) -> None:
        async with rt.sessions.begin() as session:
            validation_id = await add_dataset(rt, session, validation)
        job = await new_job(rt, training, validation_dataset_id=validation_id)
        await lifecycle.advance(rt, job.id)
        job.status = "uploading"  # the submit step again, as after a crash: no second event
        await lifecycle._submit(rt, job)
        async with rt.sessions() as session:
            events = await repository.events_page(session, job.id, after_seq=0, limit=50)
        overlap = [e for e in events if e.type == "dataset.validation_overlap"]
        assert [(e.level, e.data) for e in overlap] == [
            (
                "warning",
                {
                    "validation_rows": 3,
                    "shared_prompts": 2,
                    "identical_rows": 1,
                    "lines": [2, 3],
                    "partial": False,
                },
            )
        ]
        assert "2 of 3 validation examples" in overlap[0].message
        [spec] = provider.specs
        assert spec.validation_file is not None
        assert spec.validation_file != spec.training_file
        assert provider.calls.count("upload_file") == 2

    run(clean, tmp_path, provider, scenario)
