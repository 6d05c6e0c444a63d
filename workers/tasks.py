"""RQ entry points: a few lines each, ids in, the service layer does the work."""

from __future__ import annotations

import asyncio

from service.config import get_settings
from service.jobs import lifecycle
from service.runtime import job_runtime


def advance_job(job_id: str) -> None:
    """Take the job one step further: submit, poll, or cancel, as its row says."""
    asyncio.run(_advance(job_id))


async def _advance(job_id: str) -> None:
    async with job_runtime(get_settings()) as runtime:
        await lifecycle.advance(runtime, job_id)
