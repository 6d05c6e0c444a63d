"""The worker's steps on the real database with a scripted provider: never a second OpenAI job,
permanent errors end the job, transient ones reschedule, one worker per job, cancel and pause."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from service.db.locks import try_advisory_lock
from service.db.models import Job
from service.jobs import lifecycle
from service.jobs import service as jobs
from service.jobs.hooks import JobHooks
from service.jobs.runtime import Runtime
from service.providers.base import JobSpec, ProviderError
from service.wiring import JOB_HOOKS
from tests.jobs.fakes import FakeProvider
from tests.jobs.world import mark_create_sent, new_job, reload, run
from tests.support.services import Backing


def test_submit_then_poll_to_success(clean: Backing, tmp_path: Path) -> None:
    provider = FakeProvider()

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        await lifecycle.advance(rt, job.id)
        submitted = await reload(rt, job.id)
        assert submitted.status == "validating_files"
        assert submitted.provider_job_id in provider.jobs
        provider.finish(submitted.provider_job_id or "", "succeeded")
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
        provider.finish((await reload(rt, job.id)).provider_job_id or "", "succeeded")
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
        # Nothing is searched before a first create; only after its answer was lost.
        assert provider.calls == ["upload_file", "preflight", "create_job", "find_job"]

    run(clean, tmp_path, provider, scenario)


def test_a_crash_after_create_is_recovered_by_looking_first(clean: Backing, tmp_path: Path) -> None:
    provider = FakeProvider()

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        # A worker sent the create to the provider and died before writing its id down.
        await mark_create_sent(rt, job.id)
        await provider.create_job(
            JobSpec(
                our_id=job.id,
                model="m",
                training_file="f",
                method="dpo",
                hyperparameters={},
                metadata={},
            )
        )
        await lifecycle.advance(rt, job.id)
        again = await reload(rt, job.id)
        assert again.provider_job_id in provider.jobs
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
            await jobs.request_cancel(session, None, job.id, JOB_HOOKS)
        await lifecycle.advance(rt, job.id)
        assert (await reload(rt, job.id)).status == "cancelled"
        assert "create_job" not in provider.calls
        running = await new_job(rt)
        await lifecycle.advance(rt, running.id)
        remote_id = (await reload(rt, running.id)).provider_job_id or ""
        provider.finish(remote_id, "running")
        await lifecycle.advance(rt, running.id)
        async with rt.sessions.begin() as session:
            await jobs.request_action(session, None, running.id, "pause")
        await lifecycle.advance(rt, running.id)  # OpenAI refuses: the job is not failed
        after = await reload(rt, running.id)
        assert (after.status, after.requested_action) == ("running", None)

    run(clean, tmp_path, provider, scenario)
