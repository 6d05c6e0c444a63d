"""The Litestar app: every provider emulator at its own path, and the `/_emulator` controls.

A provider is added by writing its package (beside `openai/` and `azure/`) with a
`mount(runtime) -> Mount` function and listing that function in `PROVIDERS`; everything else here
serves all of them alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeAlias

from litestar import Litestar, Request, Router
from litestar.datastructures import MutableScopeHeaders
from litestar.di import Provide
from litestar.types import Message, Scope

from service.emulators.azure.mount import mount as mount_azure
from service.emulators.clock import Clock
from service.emulators.config import EmulatorConfig
from service.emulators.control import control_router
from service.emulators.errors import EXCEPTION_HANDLERS
from service.emulators.faults import FaultMiddleware
from service.emulators.ids import IdFactory
from service.emulators.mount import Mount, Mounts
from service.emulators.openai.mount import mount as mount_openai
from service.emulators.runtime import Runtime
from service.emulators.together.mount import mount as mount_together

log = logging.getLogger(__name__)

MountProvider: TypeAlias = Callable[[Runtime], Mount]
# Every provider emulator the app serves, each under the path its `Mount` names: OpenAI at `/v1`,
# Azure OpenAI at `/openai/v1`, Together AI at `/together/v1`, each with a world of its own.
PROVIDERS: tuple[MountProvider, ...] = (mount_openai, mount_azure, mount_together)


def create_app(
    config: EmulatorConfig,
    *,
    clock: Clock = time.time,
    providers: Sequence[MountProvider] = PROVIDERS,
) -> Litestar:
    """A fresh emulator with its own in-memory state; tests may pass a hand-driven `clock`, and
    `providers` to serve others than `PROVIDERS`."""
    runtime = Runtime(config, clock)
    mounts = Mounts(provide(runtime) for provide in providers)

    async def advance_clocks(_: Request[Any, Any, Any]) -> None:
        mounts.advance()  # the controls see every provider as of now

    return Litestar(
        route_handlers=[
            *(_router(runtime, mount) for mount in mounts),
            control_router(before_request=advance_clocks),
            *(_controls(mount, advance_clocks) for mount in mounts if mount.controls),
        ],
        dependencies={
            "runtime": Provide(lambda: runtime, sync_to_thread=False),
            "mounts": Provide(lambda: mounts, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[_add_request_id],
        lifespan=[_lifespan(runtime, mounts)],
        openapi_config=None,
        logging_config=None,
    )


def _router(runtime: Runtime, mount: Mount) -> Router:
    async def advance_clock(_: Request[Any, Any, Any]) -> None:
        mount.advance()  # every read sees the state as of now

    return Router(
        path=mount.path,
        route_handlers=list(mount.route_handlers),
        # the provider's own checks (its key) first, then faults
        middleware=[*mount.middleware, FaultMiddleware(runtime, mount.fault_error)],
        dependencies=dict(mount.dependencies),
        before_request=advance_clock,
    )


def _controls(mount: Mount, before_request: Callable[[Request[Any, Any, Any]], Any]) -> Router:
    """A provider's own controls beside the shared ones under `/_emulator`, injected with what
    its API handlers are."""
    return Router(
        path="/_emulator",
        route_handlers=list(mount.controls),
        dependencies=dict(mount.dependencies),
        before_request=before_request,
    )


async def _add_request_id(message: Message, _: Scope) -> None:
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)["x-request-id"] = IdFactory.request()


def _lifespan(
    runtime: Runtime, mounts: Mounts
) -> Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as providers:
            for mount in mounts:
                await providers.enter_async_context(mount.lifespan())
            ticker = asyncio.create_task(_tick(runtime, mounts))
            try:
                yield
            finally:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker

    return lifespan


async def _tick(runtime: Runtime, mounts: Mounts) -> None:
    """Advance the clocks even when nobody asks, so webhooks go out on time."""
    while True:
        for mount in mounts:  # one provider's failure must not stop the others' clocks
            try:
                mount.advance()
            except Exception:
                log.exception("emulator clock failed to advance (%s)", mount.path)
        await asyncio.sleep(min(0.5, max(0.01, runtime.settings.phase_seconds / 5)))
