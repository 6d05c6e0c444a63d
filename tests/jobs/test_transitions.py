"""The one path of every job status change, on the real database with a scripted provider: an
illegal move is refused and writes nothing, from every entry point that can move a job."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from service.db.models import Job
from service.jobs import lifecycle, polling, repository, transitions
from service.jobs import service as jobs
from service.jobs.runtime import Runtime
from service.jobs.states import JobStatus, can_move
from service.jobs.transitions import IllegalMoveError, apply_report, fail_permanently, move
from service.providers.base import ProviderError, RemoteJob
from service.wiring import JOB_HOOKS
from tests.jobs.fakes import FakeProvider
from tests.jobs.world import TIMING, new_job, reload, run
from tests.support.services import Backing

ILLEGAL = [
    (current, target)
    for current in JobStatus
    for target in JobStatus
    if not can_move(current, target)
]


async def set_status(rt: Runtime, job_id: str, status: JobStatus) -> None:
    async with rt.sessions.begin() as session:
        await repository.set_fields(session, job_id, status=status)


async def event_count(rt: Runtime, job_id: str) -> int:
    async with rt.sessions() as session:
        return len(await repository.events_page(session, job_id, after_seq=0, limit=1000))


def test_every_illegal_move_is_refused_and_writes_nothing(clean: Backing, tmp_path: Path) -> None:
    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        for current, target in ILLEGAL:
            await set_status(rt, job.id, current)
            before = await event_count(rt, job.id)
            with pytest.raises(IllegalMoveError, match=f"cannot become {target.value}"):
                async with rt.sessions.begin() as session:
                    await move(session, job.id, current, target, hooks=JOB_HOOKS, message="illegal")
            assert (await reload(rt, job.id)).status == current
            assert await event_count(rt, job.id) == before

    run(clean, tmp_path, FakeProvider(), scenario)


def test_a_legal_move_writes_status_event_and_the_end(clean: Backing, tmp_path: Path) -> None:
    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        async with rt.sessions.begin() as session:
            assert await move(
                session,
                job.id,
                JobStatus.PENDING,
                JobStatus.FAILED,
                hooks=JOB_HOOKS,
                message="gave up",
                error_code="x",
            )
        failed = await reload(rt, job.id)
        assert (failed.status, failed.error_code, failed.wake_at) == ("failed", "x", None)
        assert failed.finished_at is not None
        async with rt.sessions() as session:
            events = await repository.events_page(session, job.id, after_seq=0, limit=10)
        assert [(e.type, e.message) for e in events][-1] == ("job.failed", "gave up")
        # A second writer that read `pending` loses the compare-and-set: nothing is written.
        async with rt.sessions.begin() as session:
            assert not await move(
                session, job.id, JobStatus.PENDING, JobStatus.UPLOADING, hooks=JOB_HOOKS, message=""
            )
        assert await event_count(rt, job.id) == len(events)

    run(clean, tmp_path, FakeProvider(), scenario)


# Each entry point that can change a job's status, from a status where it would.
EntryPoint = Callable[[Runtime, FakeProvider, Job], Awaitable[object]]


async def api_cancel(rt: Runtime, provider: FakeProvider, job: Job) -> None:
    async with rt.sessions.begin() as session:
        await jobs.request_cancel(session, None, job.id, JOB_HOOKS)


async def worker_submit(rt: Runtime, provider: FakeProvider, job: Job) -> None:
    await lifecycle.advance(rt, job.id)


async def worker_cancel_before_the_provider(rt: Runtime, provider: FakeProvider, job: Job) -> None:
    await set_status(rt, job.id, JobStatus.CANCELLING)
    await lifecycle.advance(rt, job.id)


async def provider_report(rt: Runtime, provider: FakeProvider, job: Job) -> None:
    remote = await _at_provider(rt, provider, job)
    async with rt.sessions.begin() as session:
        await apply_report(session, job.id, remote, [], TIMING, JOB_HOOKS)


async def poll_round(rt: Runtime, provider: FakeProvider, job: Job) -> None:
    await _at_provider(rt, provider, job)
    await polling.poll_batch(rt, [job.id], round_number=0)


async def provider_refusal(rt: Runtime, provider: FakeProvider, job: Job) -> None:
    refused = ProviderError("no", code="training_not_available", status=403, retryable=False)
    async with rt.sessions.begin() as session:
        await fail_permanently(session, job.id, refused, JOB_HOOKS)


async def _at_provider(rt: Runtime, provider: FakeProvider, job: Job) -> RemoteJob:
    """The job as submitted (validating_files here) while the provider says it succeeded."""
    remote = await provider.create_job_for(job.id)
    async with rt.sessions.begin() as session:
        await repository.set_fields(
            session, job.id, status=JobStatus.VALIDATING_FILES, provider_job_id=remote.id
        )
    provider.finish(remote.id, "succeeded")
    return provider.jobs[remote.id]


@pytest.mark.parametrize(
    "entry",
    [
        api_cancel,
        worker_submit,
        worker_cancel_before_the_provider,
        provider_report,
        poll_round,
        provider_refusal,
    ],
)
def test_every_entry_point_goes_through_the_table(
    clean: Backing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: EntryPoint
) -> None:
    """With a table that allows nothing, no entry point can change a job's status: none of
    them writes `status` on its own."""
    provider = FakeProvider()

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        monkeypatch.setattr(transitions, "can_move", lambda current, target: False)
        with pytest.raises(IllegalMoveError):
            await entry(rt, provider, job)
        current = await reload(rt, job.id)
        async with rt.sessions() as session:
            events = await repository.events_page(session, job.id, after_seq=0, limit=10)
        assert [e.type for e in events if e.type.startswith("job.")] == ["job.pending"]
        assert current.status in {"pending", "cancelling", "validating_files"}

    run(clean, tmp_path, provider, scenario)


def test_a_status_event_names_the_providers_own_word_when_it_differs() -> None:
    together = RemoteJob("ft-1", "validating_files", "m", provider_status="pending")
    assert transitions._report_event(JobStatus.VALIDATING_FILES, together, "Together AI")[0] == (
        "Together AI reports the job validating_files (pending)"
    )
    openai = RemoteJob("ftjob-1", "queued", "m")
    assert transitions._report_event(JobStatus.QUEUED, openai, "OpenAI")[0] == (
        "OpenAI reports the job queued"
    )
