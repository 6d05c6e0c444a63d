"""The hot read path: a plain asyncpg pool for the few queries clients repeat all day (read a
job, look up an API key), without the ORM's per-request cost (a session, pre-ping, BEGIN and
ROLLBACK, greenlet hops), which is most of a small read's time.

The SQL is still SQLAlchemy's: statements are built from the mapped tables and compiled once
here, so the schema keeps one definition. Each read is one statement outside any transaction
(it sees one snapshot), and nothing on this pool changes session state, so connections go back
without asyncpg's reset round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
import msgspec
from sqlalchemy import make_url
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Query:
    """A statement compiled to asyncpg's `$n` SQL, with its parameter names in order."""

    sql: str
    params: tuple[str, ...]

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        return [values[name] for name in self.params]


# asyncpg's dialect renders `$n` placeholders (with casts asyncpg is happy with).
_DIALECT: Dialect = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]


def compile_query(statement: ClauseElement) -> Query:
    compiled = cast(SQLCompiler, statement.compile(dialect=_DIALECT))
    return Query(str(compiled), tuple(compiled.positiontup or ()))


def plain_dsn(url: str) -> str:
    """`postgresql+asyncpg://…` or `postgresql://…` → the libpq-style DSN asyncpg takes."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _json_codecs(connection: asyncpg.Connection) -> None:
    # asyncpg hands json/jsonb over as text; the ORM path decodes them, so this path does too.
    for name in ("json", "jsonb"):
        await connection.set_type_codec(
            name,
            encoder=lambda value: msgspec.json.encode(value).decode(),
            decoder=msgspec.json.decode,
            schema="pg_catalog",
        )


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Nothing to reset: reads here set no session state and open no transaction."""


class Reader:
    """Runs compiled read queries on its own small pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def connect(cls, url: str, *, max_size: int = 10) -> Reader:
        pool = await asyncpg.create_pool(
            plain_dsn(url),
            min_size=0,  # connects on first use: the API starts (not ready) while Postgres is down
            max_size=max_size,
            init=_json_codecs,
            reset=_keep_session,
            command_timeout=30,
        )
        return cls(pool)

    async def one(self, query: Query, **values: Any) -> Row | None:
        row: Row | None = await self._pool.fetchrow(query.sql, *query.args(values))
        return row

    async def all(self, query: Query, **values: Any) -> list[Row]:
        rows: list[Row] = await self._pool.fetch(query.sql, *query.args(values))
        return rows

    async def close(self) -> None:
        await self._pool.close()
