"""Building the worker-side runtime from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from service.blobstore import BlobStore
from service.config import Settings
from service.db.engine import create_engine, session_factory
from service.jobs.batch import CONCURRENCY
from service.jobs.hooks import JobHooks
from service.jobs.lifecycle import Runtime
from service.jobs.timing import Timing
from service.pipelines.hooks import on_job_finished
from service.providers.factory import build_provider


def timing(settings: Settings) -> Timing:
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
    provider = build_provider(settings)
    try:
        yield Runtime(
            engine=engine,
            sessions=session_factory(engine),
            provider=provider,
            blobs=BlobStore(settings.blob_root),
            timing=timing(settings),
            hooks=JobHooks(on_finished=(on_job_finished,)),
        )
    finally:
        await provider.close()
        await engine.dispose()
