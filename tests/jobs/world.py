"""One worker's world for the job tests: the real database, a blob directory and a scripted
provider, with helpers to add datasets and jobs and to run a scenario against them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.blobstore import BlobStore
from service.db.engine import create_engine, session_factory
from service.db.models import Job
from service.ids import new_id
from service.jobs import repository
from service.jobs import service as jobs
from service.jobs.runtime import Runtime
from service.jobs.timing import Timing
from service.providers.registry import OPENAI, Destination
from service.wiring import JOB_HOOKS
from tests.jobs.fakes import FakeProvider
from tests.support.records import ready_dataset
from tests.support.services import Backing

LEASE = timedelta(seconds=60)
OPENAI_JOBS = Destination(OPENAI)  # end dates left to the provider: tests don't age
TIMING = Timing(poll_interval=0.1, lease=60, retry_base=1, retry_max=10)


@asynccontextmanager
async def runtime(backing: Backing, root: Path, provider: FakeProvider) -> AsyncIterator[Runtime]:
    engine = create_engine(backing.database_url, pooled=False)
    try:
        yield Runtime(
            engine=engine,
            sessions=session_factory(engine),
            providers={"openai": provider},
            blobs=BlobStore(root),
            timing=TIMING,
            hooks=JOB_HOOKS,
        )
    finally:
        await engine.dispose()


async def new_job(rt: Runtime, body: bytes = b"{}\n" * 10, **fields: Any) -> Job:
    async with rt.sessions.begin() as session:
        dataset_id = await add_dataset(rt, session, body)
        request = jobs.JobRequest(
            training_dataset_id=dataset_id, model="gpt-4o-2024-08-06", **fields
        )
        return await jobs.create(session, "t", request, lease=LEASE, destination=OPENAI_JOBS)


async def add_dataset(rt: Runtime, session: AsyncSession, body: bytes) -> str:
    key = f"datasets/{new_id('blob')}.jsonl"
    rt.blobs.path(key).parent.mkdir(parents=True, exist_ok=True)
    rt.blobs.path(key).write_bytes(body)
    dataset = ready_dataset(blob_key=key, size=len(body), examples=body.count(b"\n"))
    session.add(dataset)
    await session.flush()
    return dataset.id


async def reload(rt: Runtime, job_id: str) -> Job:
    async with rt.sessions() as session:
        job = await repository.get(session, job_id)
    assert job is not None
    return job


def run(
    backing: Backing,
    tmp_path: Path,
    provider: FakeProvider,
    scenario: Callable[[Runtime], Awaitable[None]],
) -> None:
    async def main() -> None:
        async with runtime(backing, tmp_path, provider) as rt:
            await scenario(rt)

    asyncio.run(main())


async def mark_create_sent(rt: Runtime, job_id: str) -> None:
    """As a worker does right before it sends the create: what a crash after it leaves."""
    async with rt.sessions.begin() as session:
        await repository.set_fields(session, job_id, create_started_at=datetime.now(UTC))
