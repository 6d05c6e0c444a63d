"""The Litestar app: `/v1` (OpenAI's files, uploads, fine-tuning API) and `/_emulator` controls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from litestar import Litestar, Request, Router
from litestar.datastructures import MutableScopeHeaders
from litestar.di import Provide
from litestar.types import Message, Scope

from service.emulators.config import EmulatorConfig
from service.emulators.control import control_router
from service.emulators.errors import EXCEPTION_HANDLERS
from service.emulators.faults import AuthMiddleware, FaultMiddleware
from service.emulators.openai.files import files_router
from service.emulators.openai.jobs import jobs_router
from service.emulators.openai.state import Clock, Emulator
from service.emulators.openai.uploads import uploads_router
from service.emulators.openai.webhooks import WebhookSender

log = logging.getLogger(__name__)


def create_app(config: EmulatorConfig, *, clock: Clock = time.time) -> Litestar:
    """A fresh emulator with its own in-memory state; tests may pass a hand-driven `clock`."""
    emu = Emulator(config, clock)
    webhooks = WebhookSender(emu)

    async def advance_clock(_: Request[Any, Any, Any]) -> None:
        emu.advance()  # every read sees the state as of now

    v1 = Router(
        path="/v1",
        route_handlers=[files_router(config), uploads_router(config), jobs_router()],
        middleware=[AuthMiddleware(emu), FaultMiddleware(emu)],  # auth first, then faults
        before_request=advance_clock,
    )
    return Litestar(
        route_handlers=[v1, control_router(before_request=advance_clock)],
        dependencies={
            "emu": Provide(lambda: emu, sync_to_thread=False),
            "webhooks": Provide(lambda: webhooks, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[_request_id_hook(emu)],
        lifespan=[_lifespan(emu, webhooks)],
        openapi_config=None,
        logging_config=None,
    )


def _request_id_hook(emu: Emulator) -> Callable[[Message, Scope], Coroutine[Any, Any, None]]:
    async def add_request_id(message: Message, _: Scope) -> None:
        if message["type"] == "http.response.start":
            MutableScopeHeaders.from_message(message)["x-request-id"] = emu.ids.request()

    return add_request_id


def _lifespan(
    emu: Emulator, webhooks: WebhookSender
) -> Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await webhooks.start()
        ticker = asyncio.create_task(_tick(emu))
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await webhooks.aclose()

    return lifespan


async def _tick(emu: Emulator) -> None:
    """Advance the clock even when nobody asks, so webhooks go out on time."""
    while True:
        try:
            emu.advance()
        except Exception:
            log.exception("emulator clock failed to advance")
        await asyncio.sleep(min(0.5, max(0.01, emu.settings.phase_seconds / 5)))
