"""Fault injection for every provider's API routes: 429/500/503, slow answers, dropped connections.

The dice and the knobs are the app's (`runtime.Runtime`); how an injected error reads is the
provider's (`FaultErrorFactory`), so each SDK sees the error its real API would send.

Dropping a connection under uvicorn: an exception before `http.response.start` becomes a 500,
which is not what a dropped connection looks like. uvicorn marks the response as started before
it validates the start message, so a start with an illegal header value is refused before a byte
reaches the wire; returning without a body then makes it close the socket ("ASGI callable
returned without completing response"). The SDK sees a connection error, never a status.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypeAlias

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from service.emulators.errors import APIError
from service.emulators.runtime import Runtime

# route option: a "drop" fault runs the handler (so its effect is committed) before dropping
COMMIT_BEFORE_DROP = "emulator_commit_before_drop"

# (fault, retry-after seconds) -> the provider's error for "429", "429_daily", "500" or "503"
FaultErrorFactory: TypeAlias = Callable[[str, float], APIError]


class FaultMiddleware(ASGIMiddleware):
    """With probability `fault_rate`, answer with one of the enabled faults instead."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, runtime: Runtime, fault_error: FaultErrorFactory) -> None:
        self.runtime = runtime
        self.fault_error = fault_error

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        method = scope.get("method", "")
        self.runtime.requests[f"{method} {min(scope['route_handler'].paths)}"] += 1
        fault = self.runtime.pick_fault()
        if fault is None:
            await next_app(scope, receive, send)
        elif fault == "slow":
            await asyncio.sleep(self.runtime.settings.slow_seconds)
            await next_app(scope, receive, send)
        elif fault == "drop":
            if scope["route_handler"].opt.get(COMMIT_BEFORE_DROP):
                await next_app(scope, receive, _discard)
            await drop_connection(send)
        else:
            raise self.fault_error(fault, self.runtime.settings.retry_after_seconds)


async def _discard(_: Message) -> None:
    """Swallow the response of a request whose connection is about to be dropped."""


async def drop_connection(send: Send) -> None:
    """Make the server close the connection without a response (see the module docstring)."""
    start: Any = {"type": "http.response.start", "status": 200, "headers": [(b"x-drop", b"\n")]}
    # if a server accepted the headers, the missing body still ends in a broken connection
    with contextlib.suppress(Exception):
        await send(start)
