"""Building the worker-side runtime from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from service.blobstore import BlobStore
from service.config import Settings
from service.db.engine import create_engine, session_factory
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
    """A runtime for one RQ job: its own engine without a pool, because RQ forks a work-horse
    per job and a pool must never cross a fork."""
    if not settings.database_url:
        raise RuntimeError("FTJOBS_DATABASE_URL is not set")
    engine = create_engine(settings.database_url, pooled=False)
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
