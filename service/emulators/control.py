"""`/_emulator/*`: test controls outside the providers' APIs; never faulted, no key needed.

`state` and `reset` cover every mounted provider; `faults` reads and changes the run-time knobs
they share.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.types import BeforeRequestHookHandler

from service.emulators.bodies import read_json_object
from service.emulators.errors import bad_request
from service.emulators.mount import Mounts
from service.emulators.runtime import Runtime

# handler parameter types: dependencies injected by name, the way Litestar 3 wants them
RuntimeDep: TypeAlias = NamedDependency[Runtime]
MountsDep: TypeAlias = NamedDependency[Mounts]


@get("/state")
async def state(runtime: RuntimeDep, mounts: MountsDep) -> dict[str, Any]:
    """Each provider's counts and listings, then the knobs, injected faults and request counts."""
    return {
        **mounts.state(),
        "settings": runtime.settings.as_json(),
        "faults_injected": dict(runtime.faults_injected),
        "requests": dict(runtime.requests),
    }


@get("/faults")
async def read_faults(runtime: RuntimeDep) -> dict[str, Any]:
    """The current run-time knobs."""
    return runtime.settings.as_json()


@post("/faults", status_code=200)
async def change_faults(request: Request[Any, Any, Any], runtime: RuntimeDep) -> dict[str, Any]:
    """Change any of fault_rate, faults, slow_seconds, retry_after_seconds,
    training_not_available, phase_seconds, webhook_modes; answers the new settings."""
    patch = await read_json_object(request)
    try:
        return runtime.update_settings(patch).as_json()
    except ValueError as exc:
        raise bad_request(str(exc)) from None


@post("/reset", status_code=200)
async def reset(runtime: RuntimeDep, mounts: MountsDep) -> dict[str, Any]:
    """Forget what every provider holds, restore the start-up settings and zero the counts."""
    await mounts.reset()
    runtime.reset()
    return {"reset": True}


def control_router(*, before_request: BeforeRequestHookHandler) -> Router:
    return Router(
        path="/_emulator",
        route_handlers=[state, read_faults, change_faults, reset],
        before_request=before_request,
    )
