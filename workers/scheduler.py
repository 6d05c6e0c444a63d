"""`ftjobs scheduler`: every few seconds, re-drive every job whose row says it should be moving.

Postgres says what is due; Redis only carries the wake-ups. A wiped Redis, a lost message or a
killed worker costs one lease of latency, never a job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.config import Settings
from service.db.engine import create_engine, session_factory
from service.idempotency.service import purge_expired
from service.jobs.reconcile import claim_due_jobs
from service.queue import REFRESH_PROVIDER_MODELS, WakeUps, connect
from service.webhooks.reconcile import DELIVER_TASK, claim_due_deliveries

log = logging.getLogger(__name__)
PURGE_EVERY_SECONDS = 300.0


def run_scheduler(settings: Settings, *, once: bool = False) -> None:
    asyncio.run(_loop(settings, once=once))


async def _loop(settings: Settings, *, once: bool) -> None:
    if not settings.database_url or not settings.redis_url:
        raise RuntimeError("FTJOBS_DATABASE_URL and FTJOBS_REDIS_URL must be set")
    engine = create_engine(settings.database_url, pool_size=2)
    sessions = session_factory(engine)
    wakeups = WakeUps(
        connect(settings.redis_url),
        queue_name=settings.queue_name,
        job_timeout=settings.worker_job_timeout_seconds,
        waiting_ttl=max(1, int(settings.lease_seconds)),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    lease = timedelta(seconds=settings.lease_seconds)
    log.info("scheduler started: every %.1fs", settings.scheduler_interval_seconds)
    next_purge = next_models = 0.0
    while not stop.is_set():
        await _tick(sessions, wakeups, lease)
        if loop.time() >= next_purge:
            await _purge(sessions)
            next_purge = loop.time() + PURGE_EVERY_SECONDS
        if loop.time() >= next_models:
            # At start and every few minutes: a worker reads the providers' own model lists
            # (Together's) so the API checks jobs against them without calling the provider.
            wakeups.enqueue(REFRESH_PROVIDER_MODELS)
            next_models = loop.time() + settings.provider_models_refresh_seconds
        if once:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.scheduler_interval_seconds)
    await engine.dispose()


async def _purge(sessions: async_sessionmaker[AsyncSession]) -> None:
    try:
        purged = await purge_expired(sessions)
    except Exception:  # housekeeping: never stop the scheduler for it
        log.warning("purging expired idempotency keys failed", exc_info=True)
        return
    if purged:
        log.info("purged %d expired idempotency key(s)", purged)


async def _tick(
    sessions: async_sessionmaker[AsyncSession], wakeups: WakeUps, lease: timedelta
) -> None:
    try:
        due = await claim_due_jobs(sessions, lease=lease)
        deliveries = await claim_due_deliveries(sessions, lease=lease)
    except Exception:  # the database may be restarting; the next tick tries again
        log.warning("scheduler tick failed", exc_info=True)
        return
    for job_id in due.steps:
        wakeups.advance_job(job_id)
    for batch in due.polls:
        wakeups.poll_jobs(batch)
    for delivery_id in deliveries:
        wakeups.enqueue(DELIVER_TASK, delivery_id)
    if due.steps or due.polls:
        polled = sum(len(batch) for batch in due.polls)
        log.info("woke %d job step(s), polling %d job(s)", len(due.steps), polled)
