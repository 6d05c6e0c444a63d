"""The SQL of the hot job reads, run on the read path (service.db.reader), not the ORM.

Rows come back by column name (`metadata`, not the ORM's `job_metadata`). A list's statement
depends only on which filters are present, so each such shape is compiled once and cached.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Integer, String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import JSONB

from service.db.models import Job
from service.db.reader import Query, Reader, Row, compile_query

_BY_ID = select(Job.__table__).where(Job.id == bindparam("job_id"))
_JOB = compile_query(_BY_ID)
_TEAM_JOB = compile_query(_BY_ID.where(Job.team == bindparam("team")))


@dataclass(frozen=True)
class JobFilters:
    team: str | None  # None: every team (admin keys)
    statuses: Sequence[str] = ()
    provider: str | None = None
    model: str | None = None
    dataset_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)


async def get(reader: Reader, job_id: str, *, team: str | None) -> Row | None:
    """One job by id; with `team`, only if that team owns it."""
    if team is None:
        return await reader.one(_JOB, job_id=job_id)
    return await reader.one(_TEAM_JOB, job_id=job_id, team=team)


async def list_page(
    reader: Reader, filters: JobFilters, *, before_id: str | None, limit: int
) -> list[Row]:
    """Newest first by id (ids sort by creation time): keyset pages, fast at any depth."""
    values: dict[str, Any] = {
        "team": filters.team,
        "statuses": list(filters.statuses) or None,
        "provider": filters.provider or None,
        "model": filters.model or None,
        "dataset_id": filters.dataset_id or None,
        "created_after": filters.created_after,
        "created_before": filters.created_before,
        "metadata": filters.metadata or None,
        "before_id": before_id,
    }
    present = {name for name, value in values.items() if value is not None}
    query = _list_query(frozenset(present))
    return await reader.all(query, limit=limit, **{name: values[name] for name in present})


@cache
def _list_query(present: frozenset[str]) -> Query:
    """The statement for one combination of present filters (at most 2^9 of them)."""
    query = select(Job.__table__)
    conditions: dict[str, Callable[[], ColumnElement[bool]]] = {
        "team": lambda: Job.team == bindparam("team"),
        "statuses": lambda: Job.status == any_(bindparam("statuses", type_=ARRAY(String))),
        "provider": lambda: Job.provider == bindparam("provider"),
        "model": lambda: Job.model == bindparam("model"),
        "dataset_id": lambda: (
            (Job.training_dataset_id == bindparam("dataset_id"))
            | (Job.validation_dataset_id == bindparam("dataset_id"))
        ),
        "created_after": lambda: Job.created_at >= bindparam("created_after"),
        "created_before": lambda: Job.created_at < bindparam("created_before"),
        "metadata": lambda: Job.job_metadata.contains(bindparam("metadata", type_=JSONB)),
        "before_id": lambda: Job.id < bindparam("before_id"),
    }
    for name, condition in conditions.items():
        if name in present:
            query = query.where(condition())
    return compile_query(query.order_by(Job.id.desc()).limit(bindparam("limit", type_=Integer)))
