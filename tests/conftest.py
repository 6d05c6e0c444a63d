"""Real PostgreSQL and Redis for the whole suite.

FTJOBS_DATABASE_URL / FTJOBS_REDIS_URL, when set, name the servers to use (a fresh database is
created on that server for the run and dropped after it; the Redis database is flushed between
tests). Otherwise embedded servers start from their wheels in a temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import make_url

from service.cli.embedded import (
    EmbeddedPostgres,
    EmbeddedRedis,
    create_database,
    drop_database,
    start_postgres,
    start_redis,
)
from service.db.migrate import upgrade
from tests.support.services import Backing, truncate_all


@pytest.fixture(scope="session")
def backing() -> Iterator[Backing]:
    # Not under pytest's basetemp: that is 0700 (and re-chmodded by concurrent pytest runs),
    # while embedded Postgres, started as root, runs as its own unprivileged user.
    root = Path(tempfile.mkdtemp(prefix="ftjobs-test-"))
    embedded_pg: EmbeddedPostgres | None = None
    server_url = os.environ.get("FTJOBS_DATABASE_URL")
    if server_url is None:
        embedded_pg = start_postgres(root / "postgres", database="postgres")
        server_url = embedded_pg.url("postgres")
    database = f"ftjobs_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(create_database(server_url, database))
    database_url = make_url(server_url).set(database=database).render_as_string(False)
    upgrade(database_url)
    redis_url, embedded_redis = _redis(root)
    try:
        yield Backing(
            database_url=database_url,
            admin_url=server_url,
            redis_url=redis_url,
            embedded_postgres=embedded_pg,
            root=root,
        )
    finally:
        asyncio.run(drop_database(server_url, database))
        if embedded_redis is not None:
            embedded_redis.stop()
        if embedded_pg is not None:
            embedded_pg.stop()
        shutil.rmtree(root, ignore_errors=True)


def _redis(root: Path) -> tuple[str, EmbeddedRedis | None]:
    url = os.environ.get("FTJOBS_REDIS_URL")
    if url is not None:
        return url, None
    embedded = start_redis(root / "redis")
    return embedded.url, embedded


@pytest.fixture
def clean(backing: Backing) -> Backing:
    """An empty database and Redis for one test."""
    asyncio.run(truncate_all(backing.database_url))
    Redis.from_url(backing.redis_url).flushdb()
    return backing
