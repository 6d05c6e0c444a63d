"""The SQL of the hot job reads, run on the read path (service.db.reader), not the ORM.

Rows come back by column name (`metadata`, not the ORM's `job_metadata`).
"""

from __future__ import annotations

from sqlalchemy import bindparam, select

from service.db.models import Job
from service.db.reader import Reader, Row, compile_query

_BY_ID = select(Job.__table__).where(Job.id == bindparam("job_id"))
_JOB = compile_query(_BY_ID)
_TEAM_JOB = compile_query(_BY_ID.where(Job.team == bindparam("team")))


async def get(reader: Reader, job_id: str, *, team: str | None) -> Row | None:
    """One job by id; with `team`, only if that team owns it."""
    if team is None:
        return await reader.one(_JOB, job_id=job_id)
    return await reader.one(_TEAM_JOB, job_id=job_id, team=team)
