"""The scheduler's question: which jobs should be moving and are not, and how to wake them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.jobs import repository
from service.jobs.states import AT_PROVIDER, JobStatus

# One poll round reads OpenAI's job list once for the whole batch: big batches, few calls.
POLL_BATCH = 5000


@dataclass(frozen=True)
class WakePlan:
    steps: list[str] = field(default_factory=list)  # one `advance` each: submit, cancel, act
    polls: list[list[str]] = field(default_factory=list)  # batches for `poll_jobs`


def plan(due: list[tuple[str, str, str | None]]) -> WakePlan:
    """Jobs only waiting on OpenAI are polled in batches; everything else takes its own step."""
    steps, pollable = [], []
    for job_id, status, requested_action in due:
        if JobStatus(status) in AT_PROVIDER and requested_action is None:
            pollable.append(job_id)
        else:
            steps.append(job_id)
    batches = [pollable[i : i + POLL_BATCH] for i in range(0, len(pollable), POLL_BATCH)]
    return WakePlan(steps, batches)


async def claim_due_jobs(
    sessions: async_sessionmaker[AsyncSession], *, lease: timedelta, limit: int = 20_000
) -> WakePlan:
    """Jobs whose wake-up time has passed (a poll due, a submit or cancel not done, a worker
    that died holding it). Each is pushed one lease ahead, so it is enqueued once per lease."""
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        return plan(await repository.claim_due(session, now, now + lease, limit))
