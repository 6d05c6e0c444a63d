"""The OpenAI emulator as the app mounts it: `/v1` with files, uploads and fine-tuning jobs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from service.emulators.mount import Mount
from service.emulators.openai import control
from service.emulators.openai.auth import AuthMiddleware
from service.emulators.openai.faults import fault_error
from service.emulators.openai.flavor import OPENAI
from service.emulators.openai.webhooks import WebhookSender
from service.emulators.openai_compat import persist, routes
from service.emulators.openai_compat.state import Emulator
from service.emulators.runtime import Runtime
from service.emulators.snapshots import keeping

PATH = "/v1"


def mount(runtime: Runtime) -> Mount:
    """A fresh OpenAI world on `runtime`, with the webhooks it sends when jobs finish."""
    emu = Emulator(runtime, OPENAI)
    store = persist.open_world_store(emu, runtime.config.state_dir, "openai")
    webhooks = WebhookSender(emu)

    async def reset() -> None:
        await control.reset(emu, webhooks)

    return Mount(
        path=PATH,
        route_handlers=routes.routers(runtime.config),
        fault_error=fault_error,
        advance=emu.advance,
        state=lambda: control.state(emu, webhooks),
        reset=reset,
        middleware=[AuthMiddleware(emu)],
        dependencies=routes.dependencies(emu),
        lifespan=lambda: _delivering(webhooks, store),
    )


@contextlib.asynccontextmanager
async def _delivering(
    webhooks: WebhookSender, store: persist.WorldStore | None
) -> AsyncIterator[None]:
    """Webhooks go out on the app's event loop, so their client lives as long as the app; the
    world is saved while it serves if it has a store."""
    await webhooks.start()
    try:
        async with keeping(store):
            yield
    finally:
        await webhooks.aclose()
