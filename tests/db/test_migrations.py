"""Migrations build the schema on an empty database, match the models, and roll back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, make_url, text
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


def test_rows_from_before_providers_become_openai_rows(empty_database: str) -> None:
    """0007: existing jobs and pipelines are OpenAI's, a dataset's OpenAI file moves into
    dataset_files, and the openai_* job columns keep their values under provider_* names."""
    upgrade(empty_database, "0006")

    def seed(connection: Connection) -> None:
        connection.execute(
            text(
                "INSERT INTO datasets (id, team, name, kind, source_format, status, bytes, "
                "sha256, examples, blob_key, report, openai_file_id, openai_upload_started_at) "
                "VALUES ('ds_1', 't', 'n', 'dpo', 'openai', 'ready', 1, 'h', 10, 'k', '{}', "
                "'file-abc', now()), ('ds_2', 't', 'm', 'dpo', 'openai', 'ready', 1, 'g', 10, "
                "'k2', '{}', NULL, NULL)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO jobs (id, team, status, method, model, training_dataset_id, "
                "hyperparameters, metadata, openai_job_id, openai_file_id, wake_at) VALUES "
                "('job_1', 't', 'running', 'dpo', 'gpt-4.1-mini-2025-04-14', 'ds_1', '{}', "
                "'{}', 'ftjob-1', 'file-abc', now())"
            )
        )
        connection.commit()

    def read(connection: Connection) -> Any:
        job = connection.execute(
            text("SELECT provider, provider_status, provider_job_id, provider_file_id FROM jobs")
        ).one()
        files = connection.execute(
            text("SELECT dataset_id, provider, file_id FROM dataset_files")
        ).all()
        return tuple(job), [tuple(row) for row in files]

    _with_connection(empty_database, seed)
    upgrade(empty_database)
    job, files = _with_connection(empty_database, read)
    assert job == ("openai", "running", "ftjob-1", "file-abc")
    assert files == [("ds_1", "openai", "file-abc")]
    downgrade(empty_database, "0006")  # and back: the file returns to its dataset
    back = _with_connection(
        empty_database,
        lambda c: c.execute(text("SELECT openai_file_id FROM datasets ORDER BY id")).all(),
    )
    assert [row[0] for row in back] == ["file-abc", None]
