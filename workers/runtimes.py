"""Building the worker-side runtimes from settings: the jobs runtime (`job_runtime`, for
`workers/tasks.py`) and the webhook delivery runtime (`delivery_runtime`, for
`workers/webhook_tasks.py`).

Only the RQ entry points build them, so they are built here, on the queue edge; the dataclasses
(`Runtime` in `service/jobs/runtime.py`, `DeliveryRuntime` in `service/webhooks/delivery.py`)
stay with the domain code that uses them. The jobs runtime gets the job hooks from
`service.wiring` (so that `service.jobs` never imports `service.pipelines`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from service.blobstore import BlobStore
from service.config import Settings
from service.db.engine import create_engine, session_factory
from service.jobs.polling import CONCURRENCY
from service.jobs.runtime import Runtime
from service.jobs.timing import Timing
from service.providers.factory import build_provider, catalogue
from service.webhooks import ssrf
from service.webhooks.backoff import RetryPolicy
from service.webhooks.delivery import DeliveryRuntime
from service.webhooks.sender import Outbound
from service.wiring import JOB_HOOKS


def job_timing(settings: Settings) -> Timing:
    return Timing(
        poll_interval=settings.poll_interval_seconds,
        lease=settings.lease_seconds,
        retry_base=settings.retry_base_seconds,
        retry_max=settings.retry_max_seconds,
    )


@asynccontextmanager
async def job_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime for one RQ job. RQ forks a work-horse per job and a pool must never cross a
    fork, so the engine is made here, inside the work-horse, and disposed with the job; its small
    pool serves a poll round's concurrent writes."""
    if not settings.database_url:
        raise RuntimeError("FTJOBS_DATABASE_URL is not set")
    engine = create_engine(settings.database_url, pool_size=CONCURRENCY // 2)
    providers = {
        name: build_provider(settings, name)
        for name, offer in catalogue(settings).offers.items()
        if offer.configured
    }
    try:
        yield Runtime(
            engine=engine,
            sessions=session_factory(engine),
            providers=providers,
            blobs=BlobStore(settings.blob_root),
            timing=job_timing(settings),
            hooks=JOB_HOOKS,
        )
    finally:
        for provider in providers.values():
            await provider.close()
        await engine.dispose()


def delivery_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        base=settings.webhook_retry_base_seconds,
        maximum=settings.webhook_retry_max_seconds,
        horizon=settings.webhook_retry_horizon_seconds,
        disable_after=settings.webhook_disable_after_seconds,
    )


@asynccontextmanager
async def delivery_runtime(settings: Settings) -> AsyncIterator[DeliveryRuntime]:
    """For one RQ job: an engine without a pool (RQ forks a work-horse per job)."""
    if not settings.database_url:
        raise RuntimeError("FTJOBS_DATABASE_URL is not set")
    engine = create_engine(settings.database_url, pooled=False)
    try:
        yield DeliveryRuntime(
            engine=engine,
            sessions=session_factory(engine),
            policy=delivery_policy(settings),
            outbound=Outbound(
                allowed=ssrf.parse_networks(settings.webhook_allowed_networks),
                timeout=settings.webhook_timeout_seconds,
            ),
        )
    finally:
        await engine.dispose()
