"""/console/ops: the figures of /v1/stats for every team on one page, for admin keys only."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.datastructures import State

from service.api.auth import require_admin
from service.api.deps import Session, resources
from service.console.auth import Viewing
from service.console.pages import page
from service.ops import service as ops


@get("/console/ops", include_in_schema=False)
async def ops_page(state: State, session: Session, viewer: Viewing) -> Response[Any]:
    require_admin(viewer.principal)  # 403, as /v1/stats' admin scope
    res = resources(state)
    stats = await ops.stats(session, None, res.wakeups, res.settings.queue_name)
    return page("ops.html", viewer, stats=stats)
