"""Following jobs at the provider: the one polling path.

`poll_one` refreshes a single job (the worker's step for a job it was woken for); `poll_batch`
refreshes many with few OpenAI calls. Both fold what they read into the row with
`transitions.apply_report`, so a status change takes the same path whichever found it.

One poll round for a batch of active jobs reads OpenAI's job list (newest first, 100 a page)
until every job of the batch has been seen, instead of one `retrieve` per job. Events are read
for a job that finished, and every other round for a job that moved or is running (metrics),
so a round costs well under one OpenAI call per job. Jobs in which nothing changed are
rescheduled with one UPDATE for the whole batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from service.db.models import Job
from service.jobs import repository, results
from service.jobs.runtime import Runtime
from service.jobs.setbacks import handle_provider_error
from service.jobs.states import AT_PROVIDER, TERMINAL, JobStatus, from_provider
from service.jobs.transitions import apply_report
from service.providers.base import ProviderError, RemoteEvent, RemoteJob

log = logging.getLogger(__name__)
PAGE = 100
CONCURRENCY = 16  # event reads in flight at once
# Clocks differ: only pages older than our oldest row by this much end the scan early.
CLOCK_MARGIN = timedelta(minutes=10)


async def poll_one(rt: Runtime, job: Job, remote: RemoteJob) -> None:
    """Folds `remote` (just read, or the answer to a pause or resume) and its new events into
    the row, and clears a carried-out pause or resume request in the same transaction."""
    provider = rt.provider(job.provider)
    events = await provider.list_new_events(remote.id, job.provider_last_event_id)
    produced = await results.fetch(provider, remote, events)
    async with rt.sessions.begin() as session:
        await apply_report(session, job.id, remote, events, rt.timing, rt.hooks, produced)
        if job.requested_action is not None:
            await repository.set_fields(session, job.id, requested_action=None)


def round_number(poll_interval: float) -> int:
    return int(time.time() // poll_interval)


async def poll_batch(rt: Runtime, job_ids: Sequence[str], round_number: int) -> int:
    """Refreshes the batch, each provider's jobs from that provider's list; returns the number
    of provider calls it made."""
    async with rt.sessions() as session:
        rows = [
            job
            for job in await repository.get_many(session, job_ids)
            if job.provider_job_id and JobStatus(job.status) in AT_PROVIDER
        ]
    by_provider: dict[str, list[Job]] = {}
    for job in rows:
        by_provider.setdefault(job.provider, []).append(job)
    calls = 0
    for name, jobs in by_provider.items():
        calls += await _poll_at(rt, name, jobs, round_number)
    return calls


async def _poll_at(rt: Runtime, name: str, rows: list[Job], round_number: int) -> int:
    wanted = {job.provider_job_id: job for job in rows if job.provider_job_id}
    try:
        found, calls = await _scan(rt, name, wanted)
    except ProviderError as error:  # no list this round: every job tries again soon
        log.info("%s job list unavailable (%s); retrying the batch", name, error.code)
        await _reschedule(rt, rows, retry=rt.timing.retry_delay(1, error.retry_after))
        return 1
    limit = asyncio.Semaphore(CONCURRENCY)
    outcomes = await asyncio.gather(
        *(
            _refresh_or_defer(rt, job, found.get(remote_id), round_number, limit)
            for remote_id, job in wanted.items()
        )
    )
    jobs_by_outcome: dict[str, list[Job]] = {}
    for job, (outcome, _) in zip(wanted.values(), outcomes, strict=True):
        jobs_by_outcome.setdefault(outcome, []).append(job)
    await _reschedule(rt, jobs_by_outcome.get(UNCHANGED, []))
    await _reschedule(rt, jobs_by_outcome.get(RETRY, []), retry=rt.timing.retry_delay(1, None))
    return calls + sum(reads for _, reads in outcomes)


UNCHANGED, CHANGED, RETRY, HANDLED = "unchanged", "changed", "retry", "handled"


async def _refresh_or_defer(
    rt: Runtime, job: Job, remote: RemoteJob | None, round_number: int, limit: asyncio.Semaphore
) -> tuple[str, int]:
    """One job's refresh. A transient OpenAI error leaves it for a retry round; a permanent one
    (the job is gone, say) goes through the single-job step, which ends the job properly."""
    try:
        if remote is None:  # older than the scan reached: ask for it alone
            async with limit:
                remote = await rt.provider(job.provider).get_job(job.provider_job_id or "")
            changed, reads = await _refresh(rt, job, remote, round_number, limit)
            return (CHANGED if changed else UNCHANGED), reads + 1
        changed, reads = await _refresh(rt, job, remote, round_number, limit)
        return (CHANGED if changed else UNCHANGED), reads
    except ProviderError as error:
        if error.retryable:
            return RETRY, 1
        await handle_provider_error(rt, job, error)
        return HANDLED, 1


async def _scan(rt: Runtime, name: str, wanted: dict[str, Job]) -> tuple[dict[str, RemoteJob], int]:
    """Pages through the list until every wanted job is seen or the pages are older than the
    oldest wanted job (the list is ordered by creation time, and our row comes first)."""
    found: dict[str, RemoteJob] = {}
    oldest = min((job.created_at for job in wanted.values()), default=None)
    after, calls = None, 0
    while wanted.keys() - found.keys():
        page, has_more = await rt.provider(name).list_jobs(after, PAGE)
        calls += 1
        found |= {remote.id: remote for remote in page if remote.id in wanted}
        if not has_more or not page or _older(page[-1], oldest):
            break
        after = page[-1].id
    return found, calls


def _older(remote: RemoteJob, oldest: datetime | None) -> bool:
    if oldest is None or remote.created_at is None:
        return False
    return remote.created_at < oldest - CLOCK_MARGIN


async def _refresh(
    rt: Runtime, job: Job, remote: RemoteJob, round_number: int, limit: asyncio.Semaphore
) -> tuple[bool, int]:
    """Returns (whether anything changed, provider calls made). At most CONCURRENCY run at
    once: that bounds both the requests in flight and the database connections."""
    provider = rt.provider(job.provider)
    async with limit:
        events: list[RemoteEvent] = []
        reads = 0
        if _events_due(job, remote, round_number):
            events = await provider.list_new_events(remote.id, job.provider_last_event_id)
            reads = 1
        if not events and not _differs(job, remote):
            return False, reads
        produced = await results.fetch(provider, remote, events)
        async with rt.sessions.begin() as session:
            # Losing this commit in a crash loses it whole; the row then still says "poll
            # me", so the next round writes it again. No need to wait for the disk.
            await repository.relax_durability(session)
            await apply_report(session, job.id, remote, events, rt.timing, rt.hooks, produced)
        return True, reads


def _differs(job: Job, remote: RemoteJob) -> bool:
    """Whether the report says anything new: the provider's own word (an unknown one moves
    nothing, but is still written once), our status, the model or the tokens."""
    moved = from_provider(remote.status) not in (None, JobStatus(job.status))
    return moved or (remote.raw_status, remote.fine_tuned_model, remote.trained_tokens) != (
        job.provider_status,
        job.fine_tuned_model,
        job.trained_tokens,
    )


def _events_due(job: Job, remote: RemoteJob, round_number: int) -> bool:
    """A finished job's events are read at once (its record is then complete); a job that
    moved or is running (metrics) is read every other round, half of the jobs each round, so
    a round stays well under one call per job even when every job just changed."""
    if remote.status in TERMINAL:
        return True
    if remote.status != job.status or remote.status == JobStatus.RUNNING:
        return zlib.crc32(job.id.encode()) % 2 == round_number % 2
    return False


async def _reschedule(rt: Runtime, jobs: list[Job], *, retry: float | None = None) -> None:
    """Next poll for jobs this round did not write: after their status's poll interval, or
    after `retry` seconds when OpenAI failed them this round."""
    if not jobs:
        return
    by_status: dict[JobStatus, list[str]] = {}
    for job in jobs:
        by_status.setdefault(JobStatus(job.status), []).append(job.id)
    async with rt.sessions.begin() as session:
        for status, ids in by_status.items():
            seconds = retry if retry is not None else rt.timing.poll_delay(status)
            await repository.reschedule(session, ids, status, timedelta(seconds=seconds))
