"""`ftjobs worker` and `ftjobs scheduler` (`workers/cli.py`): registered under the
`ftjobs.commands` entry points, listed by `ftjobs --help`, and running the real processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import select

from service import queue
from service.cli import COMMANDS_ENTRY_POINTS, main
from service.db.engine import create_engine, session_factory
from service.db.ops_models import IdempotencyKey
from service.idempotency import service as idempotency
from service.idempotency.service import KeyRequest, Policy
from tests.support.services import Backing
from tests.workers.conftest import QUEUE, add_pending_job, queued, subprocess_env
from workers import cli


def ftjobs(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`ftjobs …` in a process of its own, as the image and the chart run it."""
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_worker_commands_are_registered_entry_points() -> None:
    registered = {ep.name: ep.value for ep in entry_points(group=COMMANDS_ENTRY_POINTS)}
    assert registered == {"worker": "workers.cli:worker", "scheduler": "workers.cli:scheduler"}
    assert main.commands["worker"] is cli.worker
    assert main.commands["scheduler"] is cli.scheduler


def test_ftjobs_help_lists_worker_and_scheduler() -> None:
    result = ftjobs("--help")
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    commands = {words[0] for words in lines if words and words[0].isalpha()}
    assert {"api", "migrate", "worker", "scheduler", "dev", "keys"} <= commands
    assert "  worker     Run an RQ worker: talks to OpenAI, follows jobs." in result.stdout
    options = ftjobs("worker", "--help").stdout
    assert "--burst" in options and "--name" in options
    assert "--once" in ftjobs("scheduler", "--help").stdout


@pytest.mark.e2e
def test_worker_burst_runs_what_is_queued_then_exits(clean: Backing, worker_env: Path) -> None:
    redis = Redis.from_url(clean.redis_url)
    rq_queue = Queue(QUEUE, connection=redis, serializer=JSONSerializer)
    # A job id with no row: the task still runs (and clears the marker), then finds nothing.
    redis.set(queue.waiting_key("job_gone"), 1)
    rq_queue.enqueue(queue.ADVANCE_JOB, "job_gone")
    result = ftjobs("worker", "--burst", "--name", "test-burst")
    assert result.returncode == 0, result.stderr
    assert rq_queue.count == 0
    assert FailedJobRegistry(QUEUE, connection=redis).count == 0, result.stderr
    assert not redis.exists(queue.waiting_key("job_gone"))


async def _expired_key(backing: Backing) -> None:
    engine = create_engine(backing.database_url, pooled=False)
    try:
        policy = Policy(ttl=timedelta(seconds=-1), lock_timeout=timedelta(minutes=15))
        async with session_factory(engine).begin() as session:
            request = KeyRequest("t", "old", "POST", "/v1/jobs", "f")
            await idempotency.claim(session, request, policy)
    finally:
        await engine.dispose()


async def _keys(backing: Backing) -> list[str]:
    engine = create_engine(backing.database_url, pooled=False)
    try:
        async with session_factory(engine)() as session:
            return list((await session.execute(select(IdempotencyKey.key))).scalars())
    finally:
        await engine.dispose()


@pytest.mark.e2e
def test_scheduler_once_wakes_due_jobs_and_purges_expired_keys(
    clean: Backing, worker_env: Path
) -> None:
    due = add_pending_job(clean, worker_env, due=True)
    add_pending_job(clean, worker_env)  # not due yet
    asyncio.run(_expired_key(clean))
    result = ftjobs("scheduler", "--once")
    assert result.returncode == 0, result.stderr
    # …and, at start, the refresh of the providers' own model lists.
    assert queued(clean) == [(queue.ADVANCE_JOB, [due]), (queue.REFRESH_PROVIDER_MODELS, [])]
    assert asyncio.run(_keys(clean)) == []
