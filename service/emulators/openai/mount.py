"""The OpenAI emulator as the app mounts it: `/v1` with files, uploads and fine-tuning jobs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar.di import Provide

from service.emulators.mount import Mount
from service.emulators.openai import control
from service.emulators.openai.auth import AuthMiddleware
from service.emulators.openai.faults import fault_error
from service.emulators.openai.files import files_router
from service.emulators.openai.jobs import jobs_router
from service.emulators.openai.state import Emulator
from service.emulators.openai.uploads import uploads_router
from service.emulators.openai.webhooks import WebhookSender
from service.emulators.runtime import Runtime


def mount(runtime: Runtime) -> Mount:
    """A fresh OpenAI world on `runtime`, with the webhooks it sends when jobs finish."""
    config = runtime.config
    emu = Emulator(runtime)
    webhooks = WebhookSender(emu)

    async def reset() -> None:
        await control.reset(emu, webhooks)

    return Mount(
        path="/v1",
        route_handlers=[files_router(config), uploads_router(config), jobs_router()],
        fault_error=fault_error,
        advance=emu.advance,
        state=lambda: control.state(emu, webhooks),
        reset=reset,
        middleware=[AuthMiddleware(emu)],
        dependencies={
            "emu": Provide(lambda: emu, sync_to_thread=False),
            "webhooks": Provide(lambda: webhooks, sync_to_thread=False),
        },
        lifespan=lambda: _delivering(webhooks),
    )


@contextlib.asynccontextmanager
async def _delivering(webhooks: WebhookSender) -> AsyncIterator[None]:
    """Webhooks go out on the app's event loop, so their client lives as long as the app."""
    await webhooks.start()
    try:
        yield
    finally:
        await webhooks.aclose()
