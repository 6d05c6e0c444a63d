"""The worker side reads its settings from the environment (RQ passes ids only), so these tests
set `FTJOBS_*` for the test's database, Redis and blob directory, and forget the cached
settings before and after."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from service.blobstore import BlobStore
from service.config import get_settings
from service.db.engine import create_engine, session_factory
from service.db.models import Job
from service.ids import new_id
from tests.support.records import ready_dataset
from tests.support.services import Backing

QUEUE = "ftjobs-workers-test"


@pytest.fixture
def worker_env(clean: Backing, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The environment an RQ worker of this test would have; yields the blob directory."""
    blobs = tmp_path / "blobs"
    env = {
        "FTJOBS_DATABASE_URL": clean.database_url,
        "FTJOBS_REDIS_URL": clean.redis_url,
        "FTJOBS_BLOB_DIR": str(blobs),
        "FTJOBS_QUEUE_NAME": QUEUE,
        # Never called: the tests that reach a provider replace it with a scripted one.
        "FTJOBS_OPENAI_API_KEY": "sk-test",
        "FTJOBS_OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield blobs
    get_settings.cache_clear()


def subprocess_env() -> dict[str, str]:
    """For `python -m service …` children: this process's environment (with `worker_env`)."""
    return dict(os.environ)


def queued(backing: Backing) -> list[tuple[str | None, list[object]]]:
    redis = Redis.from_url(backing.redis_url)
    queue = Queue(QUEUE, connection=redis, serializer=JSONSerializer)
    return [(job.func_name, list(job.args)) for job in queue.jobs]


def add_pending_job(backing: Backing, blob_root: Path, *, due: bool = False) -> str:
    """A pending DPO job on a ready dataset whose bytes are in `blob_root`, as the API leaves
    it; `due` puts its wake-up time in the past."""
    body = b"{}\n" * 10
    key = f"datasets/{new_id('blob')}.jsonl"
    path = BlobStore(blob_root).path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)

    async def insert() -> str:
        engine = create_engine(backing.database_url, pooled=False)
        try:
            async with session_factory(engine).begin() as session:
                dataset = ready_dataset(blob_key=key, size=len(body), examples=10)
                session.add(dataset)
                await session.flush()
                now = datetime.now(UTC)
                job = Job(
                    id=new_id("job"), team="t", status="pending", method="dpo",
                    model="gpt-4o-2024-08-06", training_dataset_id=dataset.id,
                    hyperparameters={}, job_metadata={}, attempts=0, event_seq=0,
                    wake_at=now - timedelta(seconds=5) if due else now + timedelta(hours=1),
                )  # fmt: skip
                session.add(job)
                return job.id
        finally:
            await engine.dispose()

    return asyncio.run(insert())


async def reload_job(backing: Backing, job_id: str) -> Job:
    engine = create_engine(backing.database_url, pooled=False)
    try:
        async with session_factory(engine)() as session:
            job = await session.get(Job, job_id)
    finally:
        await engine.dispose()
    assert job is not None
    return job
