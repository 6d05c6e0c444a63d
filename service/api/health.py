"""Liveness and readiness for orchestrators."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Response, get
from litestar.datastructures import State

from service.api.deps import resources
from service.api.openapi import problems
from service.api.problems import problem
from service.db.health import ping

READY_TIMEOUT_SECONDS = 2.0


@get("/health/live", tags=["health"])
async def live() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/health/ready", tags=["health"], responses=problems(503))
async def ready(state: State) -> Response[Any]:
    """Database and Redis reachable (503 otherwise)."""
    res = resources(state)
    checks: dict[str, str] = {}
    for name, check in (
        ("database", ping(res.engine)),
        ("redis", asyncio.to_thread(res.redis.ping)),
    ):
        try:
            await asyncio.wait_for(check, READY_TIMEOUT_SECONDS)
            checks[name] = "ok"
        except Exception as error:  # any failure means not ready; say which and why
            checks[name] = f"{type(error).__name__}: {error}"
    if all(value == "ok" for value in checks.values()):
        return Response({"status": "ok", "checks": checks})
    return problem(503, "not ready", checks=checks)
