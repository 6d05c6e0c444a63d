"""RQ entry points: a few lines each, ids in, the service layer does the work."""

from __future__ import annotations

import asyncio

from service import queue
from service.config import get_settings
from service.jobs import lifecycle, polling, provider_models
from service.jobs.polling import round_number
from service.logs import log_context
from workers.runtimes import job_runtime


def advance_job(job_id: str) -> None:
    """Take the job one step further: submit, poll, or cancel, as its row says."""
    _picked_up([job_id])
    with log_context(job_id=job_id):
        asyncio.run(_advance(job_id))


async def _advance(job_id: str) -> None:
    async with job_runtime(get_settings()) as runtime:
        await lifecycle.advance(runtime, job_id)


def poll_jobs(job_ids: list[str]) -> None:
    """Refresh a batch of jobs that are only waiting on OpenAI, with few OpenAI calls."""
    _picked_up(job_ids)
    asyncio.run(_poll(job_ids))


async def _poll(job_ids: list[str]) -> None:
    settings = get_settings()
    async with job_runtime(settings) as runtime:
        await polling.poll_batch(runtime, job_ids, round_number(settings.poll_interval_seconds))


def refresh_provider_models() -> None:
    """Read the models each provider lists as tunable, and their limits, into the database."""
    asyncio.run(_refresh_models())


async def _refresh_models() -> None:
    async with job_runtime(get_settings()) as runtime:
        await provider_models.refresh(runtime)


def _picked_up(job_ids: list[str]) -> None:
    redis_url = get_settings().redis_url
    if redis_url:
        queue.picked_up(queue.connect(redis_url), job_ids)
