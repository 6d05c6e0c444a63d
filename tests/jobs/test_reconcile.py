"""The scheduler's claim of due jobs, on the real database."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.jobs import repository
from service.jobs.reconcile import claim_due_jobs
from service.jobs.runtime import Runtime
from tests.jobs.fakes import FakeProvider
from tests.jobs.world import LEASE, new_job, run
from tests.support.services import Backing


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
