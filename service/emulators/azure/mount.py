"""The Azure OpenAI emulator as the app mounts it: `/openai/v1` with files, uploads and
fine-tuning jobs, its part of `GET /_emulator/state` under `"azure"`."""

from __future__ import annotations

from typing import Any

from service.emulators.azure.auth import ApiKeyMiddleware
from service.emulators.azure.faults import fault_error
from service.emulators.azure.flavor import AZURE
from service.emulators.mount import Mount
from service.emulators.openai_compat import control, persist, routes
from service.emulators.openai_compat.state import Emulator
from service.emulators.runtime import Runtime
from service.emulators.snapshots import keeping

PATH = "/openai/v1"
STATE_KEY = "azure"  # OpenAI's part of the state is unprefixed; Azure's nests under this key


def mount(runtime: Runtime) -> Mount:
    """A fresh Azure resource on `runtime`: its own files and jobs, none of OpenAI's."""
    emu = Emulator(runtime, AZURE)
    store = persist.open_world_store(emu, runtime.config.state_dir, "azure")

    def state() -> dict[str, Any]:
        return {STATE_KEY: control.state(emu)}

    async def reset() -> None:
        emu.reset()

    return Mount(
        path=PATH,
        route_handlers=routes.routers(runtime.config),
        fault_error=fault_error,
        advance=emu.advance,
        state=state,
        reset=reset,
        middleware=[ApiKeyMiddleware(runtime.config.azure_api_key)],
        dependencies=routes.dependencies(emu),
        lifespan=lambda: keeping(store),
    )
