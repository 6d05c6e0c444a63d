"""The read path on the real Postgres: compiled SQLAlchemy statements, JSON decoded, no ORM."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import bindparam, select, text

from service.db.engine import create_engine
from service.db.models import ApiKey
from service.db.reader import Reader, compile_query, plain_dsn
from tests.support.services import Backing


def test_statements_compile_to_numbered_parameters_in_order() -> None:
    query = compile_query(
        select(ApiKey.id).where(ApiKey.team == bindparam("team"), ApiKey.name == bindparam("n"))
    )
    assert "$1" in query.sql and "$2" in query.sql and ":team" not in query.sql
    assert query.params == ("team", "n")
    assert query.args({"n": "x", "team": "t"}) == ["t", "x"]


def test_plain_dsn_drops_the_driver_and_keeps_the_password() -> None:
    assert plain_dsn("postgresql+asyncpg://u:pw@h:5/db") == "postgresql://u:pw@h:5/db"


def test_reads_rows_by_column_name_with_json_decoded(clean: Backing) -> None:
    async def run() -> None:
        engine = create_engine(clean.database_url, pooled=False)
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO datasets (id, team, name, kind, source_format, status, bytes, "
                    "sha256, examples, blob_key, report) VALUES ('ds_1', 't', 'n', 'dpo', "
                    "'openai', 'ready', 1, 'x', 10, 'b', '{\"valid\": true, \"n\": [1, 2]}')"
                )
            )
        await engine.dispose()
        from service.db.models import Dataset

        query = compile_query(
            select(Dataset.__table__).where(Dataset.id == bindparam("dataset_id"))
        )
        reader = await Reader.connect(clean.database_url, max_size=2)
        try:
            row = await reader.one(query, dataset_id="ds_1")
            missing = await reader.one(query, dataset_id="ds_2")
        finally:
            await reader.close()
        assert row is not None and missing is None
        assert row["report"] == {"valid": True, "n": [1, 2]}  # a dict, not JSON text
        assert row["examples"] == 10
        assert isinstance(row["created_at"], datetime) and row["created_at"].tzinfo is not None
        assert row["created_at"] <= datetime.now(UTC)

    asyncio.run(run())


def test_a_failed_statement_does_not_poison_the_pooled_connection(clean: Backing) -> None:
    async def run() -> None:
        reader = await Reader.connect(clean.database_url, max_size=1)
        try:
            broken = compile_query(select(text("1/0 AS x")))
            with pytest.raises(asyncpg.DivisionByZeroError):
                await reader.one(broken)
            ok = await reader.one(compile_query(select(text("41 + 1 AS x"))))
            assert ok is not None and ok["x"] == 42
        finally:
            await reader.close()

    asyncio.run(run())
