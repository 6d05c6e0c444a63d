"""Migrations build the schema on an empty database, match the models, and roll back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, make_url
from sqlalchemy.engine import Connection

from service.cli.embedded import create_database, drop_database
from service.db import all_models  # noqa: F401  (every table)
from service.db.base import Base
from service.db.engine import create_engine
from service.db.migrate import downgrade, upgrade
from tests.support.services import Backing


@pytest.fixture
def empty_database(backing: Backing) -> Iterator[str]:
    name = f"ftjobs_migrate_{uuid.uuid4().hex[:8]}"
    asyncio.run(create_database(backing.admin_url, name))
    try:
        yield make_url(backing.admin_url).set(database=name).render_as_string(False)
    finally:
        asyncio.run(drop_database(backing.admin_url, name))


def _with_connection(url: str, work: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(url, pooled=False)
        async with engine.connect() as connection:
            result = await connection.run_sync(work)
        await engine.dispose()
        return result

    return asyncio.run(run())


def _drift(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def test_upgrade_creates_every_table_and_matches_the_models(empty_database: str) -> None:
    upgrade(empty_database)
    assert _with_connection(empty_database, _tables) == set(Base.metadata.tables)
    assert _with_connection(empty_database, _drift) == []


def test_downgrade_to_base_and_up_again(empty_database: str) -> None:
    upgrade(empty_database)
    downgrade(empty_database, "base")
    assert _with_connection(empty_database, _tables) == set()
    upgrade(empty_database)
    assert _with_connection(empty_database, _tables) == set(Base.metadata.tables)
