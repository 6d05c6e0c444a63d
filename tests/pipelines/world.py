"""A pipeline on the real database, moved along by the real worker steps and a scripted
provider (tests/jobs/fakes.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from service.blobstore import BlobStore
from service.datasets import service as datasets
from service.datasets.service import UploadOptions
from service.db.engine import create_engine, session_factory
from service.db.models import Job
from service.db.pipeline_models import Pipeline
from service.db.webhook_models import WebhookEvent
from service.jobs import lifecycle
from service.jobs import repository as jobs_repo
from service.jobs.runtime import Runtime
from service.jobs.timing import Timing
from service.pipelines import repository
from service.pipelines import service as pipelines
from service.pipelines.service import PipelineRequest
from service.providers.registry import OPENAI, Destination
from service.wiring import JOB_HOOKS
from tests.jobs.fakes import FakeProvider
from tests.support.data import dpo_rows, jsonl
from tests.support.services import Backing

TEAM = "t"
LEASE = timedelta(seconds=60)
TIMING = Timing(poll_interval=0.1, lease=60, retry_base=1, retry_max=10)
HOOKS = JOB_HOOKS
SFT_MODEL = "ft:gpt-4.1-mini-2025-04-14:org:exp:sft1"
DPO_MODEL = "ft:gpt-4.1-mini-2025-04-14:org:exp:dpo1"


@dataclass
class World:
    rt: Runtime
    provider: FakeProvider

    async def dpo_dataset(self, count: int = 20) -> str:
        spool = self.rt.blobs.temp_path(".jsonl")
        spool.write_bytes(jsonl(dpo_rows(count)))
        async with self.rt.sessions.begin() as session:
            stored = await datasets.store_upload(
                session, self.rt.blobs, TEAM, spool, UploadOptions(count_tokens=False)
            )
        spool.unlink()
        return stored.dataset.id

    async def pipeline(self, **fields: Any) -> Pipeline:
        request = PipelineRequest(
            dataset_id=fields.pop("dataset_id", None) or await self.dpo_dataset(),
            model="gpt-4.1-mini-2025-04-14",
            **fields,
        )
        async with self.rt.sessions.begin() as session:
            return await pipelines.create(
                session, self.rt.blobs, TEAM, request, lease=LEASE, destination=Destination(OPENAI)
            )

    async def reload(self, pipeline_id: str) -> Pipeline:
        async with self.rt.sessions() as session:
            found = await repository.get(session, pipeline_id)
        assert found is not None
        return found

    async def job(self, job_id: str) -> Job:
        async with self.rt.sessions() as session:
            found = await jobs_repo.get(session, job_id)
        assert found is not None
        return found

    async def jobs_of(self, pipeline_id: str) -> list[Job]:
        async with self.rt.sessions() as session:
            query = select(Job).where(Job.pipeline_id == pipeline_id).order_by(Job.id)
            return list((await session.execute(query)).scalars())

    async def events(self, prefix: str = "pipeline.") -> list[str]:
        async with self.rt.sessions() as session:
            query = select(WebhookEvent.type).where(WebhookEvent.type.startswith(prefix))
            return list((await session.execute(query.order_by(WebhookEvent.id))).scalars())

    async def event_data(self, type_: str) -> dict[str, Any]:
        async with self.rt.sessions() as session:
            query = select(WebhookEvent.data).where(WebhookEvent.type == type_)
            return dict((await session.execute(query)).scalar_one())

    async def count(self, table: Any) -> int:
        async with self.rt.sessions() as session:
            return int(
                (await session.execute(select(func.count()).select_from(table))).scalar_one()
            )

    async def submit(self, job_id: str) -> str:
        """The worker's first step; returns the provider's job id."""
        await lifecycle.advance(self.rt, job_id)
        remote = (await self.job(job_id)).provider_job_id
        assert remote is not None
        return remote

    def finish(self, remote_id: str, status: str, model: str | None = None, **extra: Any) -> None:
        """The provider ends the job (the next poll sees it)."""
        job = self.provider.jobs[remote_id]
        self.provider.jobs[remote_id] = replace(job, status=status, fine_tuned_model=model, **extra)

    async def run_sft_to(self, pipeline: Pipeline, status: str) -> Job:
        remote = await self.submit(pipeline.sft_job_id)
        self.finish(remote, status, SFT_MODEL if status == "succeeded" else None)
        await lifecycle.advance(self.rt, pipeline.sft_job_id)
        return await self.job(pipeline.sft_job_id)


@asynccontextmanager
async def world(backing: Backing, root: Path, provider: FakeProvider) -> AsyncIterator[World]:
    engine = create_engine(backing.database_url, pooled=False)
    try:
        rt = Runtime(
            engine=engine,
            sessions=session_factory(engine),
            providers={"openai": provider},
            blobs=BlobStore(root),
            timing=TIMING,
            hooks=HOOKS,
        )
        yield World(rt, provider)
    finally:
        await engine.dispose()


def run(
    backing: Backing,
    root: Path,
    scenario: Callable[[World], Awaitable[None]],
    provider: FakeProvider | None = None,
) -> None:
    async def main() -> None:
        async with world(backing, root, provider or FakeProvider()) as w:
            await scenario(w)

    asyncio.run(main())
