"""Alembic environment: async engine, URL from settings (or the caller's config)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from service.config import get_settings
from service.db import all_models  # noqa: F401  (registers every table)
from service.db.base import Base
from service.db.engine import create_engine

target_metadata = Base.metadata


def database_url() -> str:
    url = context.config.get_main_option("ftjobs.database_url") or get_settings().database_url
    if not url:
        raise SystemExit("FTJOBS_DATABASE_URL is not set")
    return url


def run_with(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_engine(database_url(), pooled=False)
    async with engine.connect() as connection:
        await connection.run_sync(run_with)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_online())
