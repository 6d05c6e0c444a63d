"""Handles on the real servers the tests run against."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from service.cli.embedded import EmbeddedPostgres
from service.db import all_models  # noqa: F401  (every table)
from service.db.base import Base
from service.db.engine import create_engine


@dataclass
class Backing:
    database_url: str
    admin_url: str
    redis_url: str
    embedded_postgres: EmbeddedPostgres | None
    root: Path


async def truncate_all(database_url: str) -> None:
    engine = create_engine(database_url, pooled=False)
    async with engine.begin() as connection:
        # Only tables the migrations made: a model whose migration is not written yet must
        # fail the drift test, not every test.
        existing = set(
            (
                await connection.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                )
            ).scalars()
        )
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name in existing)
        await connection.execute(text(f"TRUNCATE {tables} CASCADE"))
    await engine.dispose()
