"""The second stage starts exactly once: the DPO job is created in the transaction that records
the SFT job's success. Real database, real worker steps, a scripted provider."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Job
from service.jobs import lifecycle
from service.jobs import service as jobs_service
from service.jobs.hooks import JobHooks
from service.jobs.reconcile import claim_due_jobs
from service.jobs.transitions import apply_report
from service.pipelines.hooks import on_job_finished
from service.providers.base import ProviderError, RemoteError
from tests.jobs.fakes import FakeProvider
from tests.pipelines.world import DPO_MODEL, HOOKS, LEASE, SFT_MODEL, TIMING, World, run
from tests.support.services import Backing


def test_sft_success_starts_one_dpo_job_on_the_sft_model(clean: Backing, tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        pipeline = await w.pipeline(
            dpo_hyperparameters={"beta": 0.2},
            suffix="exp",
            seed=5,
            metadata={"owner": "search"},
        )
        sft = await w.run_sft_to(pipeline, "succeeded")
        assert (sft.status, sft.fine_tuned_model) == ("succeeded", SFT_MODEL)
        after = await w.reload(pipeline.id)
        assert after.status == "running_dpo" and after.dpo_job_id is not None
        dpo = await w.job(after.dpo_job_id)
        assert (dpo.method, dpo.model, dpo.status) == ("dpo", SFT_MODEL, "pending")
        assert dpo.training_dataset_id == pipeline.dataset_id
        assert (dpo.hyperparameters, dpo.suffix, dpo.seed) == ({"beta": 0.2}, "exp", 5)
        assert (dpo.job_metadata, dpo.pipeline_id) == ({"owner": "search"}, pipeline.id)
        # Created by a worker, so nothing was enqueued: due now, the scheduler picks it up.
        assert dpo.wake_at is not None and dpo.wake_at <= datetime.now(UTC)
        assert (await claim_due_jobs(w.rt.sessions, lease=LEASE)).steps == [dpo.id]
        remote = await w.submit(dpo.id)
        assert w.provider.jobs[remote].model == SFT_MODEL  # the DPO run starts from SFT's model
        w.finish(remote, "succeeded", DPO_MODEL)
        await lifecycle.advance(w.rt, dpo.id)
        done = await w.reload(pipeline.id)
        assert (done.status, done.fine_tuned_model) == ("succeeded", DPO_MODEL)
        assert done.finished_at is not None and done.failed_stage is None
        assert await w.events() == ["pipeline.succeeded"]
        event = await w.event_data("pipeline.succeeded")
        assert (event["id"], event["status"], event["fine_tuned_model"]) == (
            pipeline.id,
            "succeeded",
            DPO_MODEL,
        )
        assert (event["sft_job_id"], event["dpo_job_id"]) == (sft.id, dpo.id)
        assert len(await w.jobs_of(pipeline.id)) == 2

    run(clean, tmp_path, scenario)


def test_the_finishing_step_twice_still_makes_one_dpo_job(clean: Backing, tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        pipeline = await w.pipeline()
        remote = await w.submit(pipeline.sft_job_id)
        w.finish(remote, "succeeded", SFT_MODEL)
        await lifecycle.advance(w.rt, pipeline.sft_job_id)
        await lifecycle.advance(w.rt, pipeline.sft_job_id)  # a duplicate RQ message
        async with w.rt.sessions.begin() as session:  # a second worker writing the same result
            assert (
                await apply_report(
                    session, pipeline.sft_job_id, w.provider.jobs[remote], [], TIMING, HOOKS
                )
                is None
            )
        async with w.rt.sessions.begin() as session:  # the hook itself, called again
            await on_job_finished(session, await w.job(pipeline.sft_job_id))
        assert [job.method for job in await w.jobs_of(pipeline.id)] == ["sft", "dpo"]
        assert w.provider.calls.count("create_job") == 1

    run(clean, tmp_path, scenario)


class WorkerKilledError(Exception):
    pass


async def killed(session: AsyncSession, job: Job) -> None:
    raise WorkerKilledError  # after our hook, before the commit


def test_a_crash_before_the_commit_leaves_no_dpo_job_and_the_retry_one(
    clean: Backing, tmp_path: Path
) -> None:
    async def scenario(w: World) -> None:
        pipeline = await w.pipeline()
        remote = await w.submit(pipeline.sft_job_id)
        w.finish(remote, "succeeded", SFT_MODEL)
        w.rt.hooks = JobHooks(on_finished=(on_job_finished, killed))
        with pytest.raises(WorkerKilledError):
            await lifecycle.advance(w.rt, pipeline.sft_job_id)
        assert (await w.job(pipeline.sft_job_id)).status == "validating_files"
        assert (await w.reload(pipeline.id)).status == "running_sft"
        assert len(await w.jobs_of(pipeline.id)) == 1
        w.rt.hooks = HOOKS
        await lifecycle.advance(w.rt, pipeline.sft_job_id)  # the scheduler re-drives it
        assert [job.method for job in await w.jobs_of(pipeline.id)] == ["sft", "dpo"]

    run(clean, tmp_path, scenario)


def test_a_crash_after_the_commit_starts_no_second_dpo_job(clean: Backing, tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        pipeline = await w.pipeline()
        remote = await w.submit(pipeline.sft_job_id)
        w.finish(remote, "succeeded", SFT_MODEL)
        sessions = w.rt.sessions
        w.rt.sessions = cast(Any, CrashAfterCommit(sessions))
        with pytest.raises(WorkerKilledError):
            await lifecycle.advance(w.rt, pipeline.sft_job_id)
        w.rt.sessions = sessions
        assert (await w.job(pipeline.sft_job_id)).status == "succeeded"
        due = (await claim_due_jobs(w.rt.sessions, lease=LEASE)).steps
        for job_id in [pipeline.sft_job_id, *due]:  # whatever a scheduler would re-drive
            await lifecycle.advance(w.rt, job_id)
        jobs = await w.jobs_of(pipeline.id)
        assert [job.method for job in jobs] == ["sft", "dpo"]
        assert due == [jobs[1].id]

    run(clean, tmp_path, scenario)


class CrashAfterCommit:
    """A session factory whose first transaction commits, and then the worker dies."""

    def __init__(self, sessions: Any) -> None:
        self.sessions = sessions

    def __call__(self) -> AsyncSession:
        return cast(AsyncSession, self.sessions())

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions.begin() as session:
            yield session
        raise WorkerKilledError


def test_sft_failing_at_openai_fails_the_pipeline_without_dpo(
    clean: Backing, tmp_path: Path
) -> None:
    async def scenario(w: World) -> None:
        pipeline = await w.pipeline()
        remote = await w.submit(pipeline.sft_job_id)
        w.finish(remote, "failed", error=RemoteError("invalid_training_file", "bad line 3"))
        await lifecycle.advance(w.rt, pipeline.sft_job_id)
        failed = await w.reload(pipeline.id)
        assert (failed.status, failed.failed_stage) == ("failed", "sft")
        assert (failed.error_code, failed.error_message) == ("invalid_training_file", "bad line 3")
        assert failed.dpo_job_id is None and failed.finished_at is not None
        assert len(await w.jobs_of(pipeline.id)) == 1
        assert await w.events() == ["pipeline.failed"]
        event = await w.event_data("pipeline.failed")
        assert (event["failed_stage"], event["error"]) == (
            "sft",
            {"code": "invalid_training_file", "message": "bad line 3"},
        )

    run(clean, tmp_path, scenario)


def test_sft_refused_by_openai_fails_the_pipeline(clean: Backing, tmp_path: Path) -> None:
    refusal = ProviderError(
        "training is not available", code="training_not_available", status=403, retryable=False
    )

    async def scenario(w: World) -> None:
        pipeline = await w.pipeline()
        await lifecycle.advance(w.rt, pipeline.sft_job_id)
        failed = await w.reload(pipeline.id)
        assert (failed.status, failed.failed_stage, failed.error_code) == (
            "failed",
            "sft",
            "training_not_available",
        )
        assert len(await w.jobs_of(pipeline.id)) == 1

    run(clean, tmp_path, scenario, FakeProvider(create_error=refusal))


def test_dpo_failing_fails_the_pipeline_at_the_dpo_stage(clean: Backing, tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        pipeline = await w.pipeline()
        await w.run_sft_to(pipeline, "succeeded")
        dpo_id = (await w.reload(pipeline.id)).dpo_job_id or ""
        remote = await w.submit(dpo_id)
        w.finish(remote, "failed", error=RemoteError("server_error", "internal error"))
        await lifecycle.advance(w.rt, dpo_id)
        failed = await w.reload(pipeline.id)
        assert (failed.status, failed.failed_stage, failed.error_code) == (
            "failed",
            "dpo",
            "server_error",
        )
        assert failed.fine_tuned_model is None
        assert await w.events() == ["pipeline.failed"]

    run(clean, tmp_path, scenario)


def test_a_deleted_dpo_dataset_fails_the_dpo_stage_not_the_sft_job(
    clean: Backing, tmp_path: Path
) -> None:
    async def scenario(w: World) -> None:
        pipeline = await w.pipeline()
        async with w.rt.sessions.begin() as session:
            await jobs_service.delete_dataset(session, None, pipeline.dataset_id)
        sft = await w.run_sft_to(pipeline, "succeeded")
        assert sft.status == "succeeded"  # committed even though the next stage was refused
        failed = await w.reload(pipeline.id)
        assert (failed.status, failed.failed_stage, failed.error_code) == (
            "failed",
            "dpo",
            "dataset_not_found",
        )
        assert len(await w.jobs_of(pipeline.id)) == 1

    run(clean, tmp_path, scenario)
