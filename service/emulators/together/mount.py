"""The Together AI emulator as the app mounts it: `/together/v1` (files and fine-tunes, behind
the bearer key), the presigned upload URL `/together/_uploads/{id}` (its own signature), its
part of `GET /_emulator/state` under `"together"` and its controls under
`/_emulator/together/...`."""

from __future__ import annotations

from litestar.di import Provide

from service.emulators.mount import Mount
from service.emulators.runtime import Runtime
from service.emulators.snapshots import keeping
from service.emulators.together import control, persist
from service.emulators.together.auth import BearerKeyMiddleware
from service.emulators.together.deps import PATH
from service.emulators.together.faults import fault_error
from service.emulators.together.files import UPLOAD_PATH, files_router, uploads_router
from service.emulators.together.fine_tunes import fine_tunes_router
from service.emulators.together.state import TogetherWorld


def mount(runtime: Runtime) -> Mount:
    """A fresh Together account on `runtime`: its own files and jobs, no other provider's."""
    world = TogetherWorld(runtime)
    store = persist.open_account_store(world, runtime.config.state_dir)

    async def reset() -> None:
        world.reset()

    return Mount(
        path=PATH,
        route_handlers=[files_router(), fine_tunes_router(), uploads_router(runtime.config)],
        fault_error=fault_error,
        advance=world.advance,
        state=lambda: control.state(world),
        reset=reset,
        middleware=[
            BearerKeyMiddleware(runtime.config.together_api_key, exempt=f"{PATH}{UPLOAD_PATH}/")
        ],
        dependencies={"world": Provide(lambda: world, sync_to_thread=False)},
        lifespan=lambda: keeping(store),
        controls=control.controls(),
    )
