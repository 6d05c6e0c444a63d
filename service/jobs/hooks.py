"""What other parts of the service want to hear about a job, without the jobs package knowing
them (a pipeline starts its next stage when its first job succeeds). Hooks run inside the
transaction that writes the job's final status, so their writes commit, or not, with it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Job

FinishedHook = Callable[[AsyncSession, Job], Awaitable[None]]


@dataclass(frozen=True)
class JobHooks:
    on_finished: tuple[FinishedHook, ...] = ()

    async def finished(self, session: AsyncSession, job: Job) -> None:
        """`job` has its final status; called once, by whoever wrote it."""
        for hook in self.on_finished:
            await hook(session, job)
