"""/v1/stats: the numbers an ops dashboard shows."""

from __future__ import annotations

from litestar import get
from litestar.datastructures import State

from service.api.deps import Caller, Session, resources, team_scope
from service.ops import service as ops
from service.ops.service import Stats


@get("/v1/stats", tags=["ops"])
async def stats(state: State, session: Session, principal: Caller) -> Stats:
    """Jobs by status, model and team; queue depth; the oldest pending job's age; p50/p95 of
    finished jobs' durations (created → finished); failures by error code; webhook delivery
    success. Admin keys see every team; any other key sees its own team."""
    res = resources(state)
    return await ops.stats(session, team_scope(principal), res.wakeups, res.settings.queue_name)
