"""Middleware for `/v1`: bearer-key check, then injected faults (429/500/503, slow, drop).

Dropping a connection under uvicorn: an exception before `http.response.start` becomes a 500,
which is not what a dropped connection looks like. uvicorn marks the response as started before
it validates the start message, so a start with an illegal header value is refused before a byte
reaches the wire; returning without a body then makes it close the socket ("ASGI callable
returned without completing response"). The SDK sees a connection error, never a status.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from typing import Any

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from service.emulators.errors import APIError
from service.emulators.openai.state import Emulator

# route option: a "drop" fault runs the handler (so its effect is committed) before dropping
COMMIT_BEFORE_DROP = "emulator_commit_before_drop"
NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)


class AuthMiddleware(ASGIMiddleware):
    """401 without `Authorization: Bearer ...`, or with a key other than the configured one."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        header = Headers.from_scope(scope).get("authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise APIError(401, NO_KEY)
        expected = self.emu.config.api_key
        if expected is not None and key.strip() != expected:
            shown = f"{key[:3]}***{key[-4:]}" if len(key) > 8 else "***"
            raise APIError(
                401,
                f"Incorrect API key provided: {shown}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        await next_app(scope, receive, send)


class FaultMiddleware(ASGIMiddleware):
    """With probability `fault_rate`, answer with one of the enabled faults instead."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        method = scope.get("method", "")
        self.emu.requests[f"{method} {min(scope['route_handler'].paths)}"] += 1
        fault = self.emu.pick_fault()
        if fault is None:
            await next_app(scope, receive, send)
        elif fault == "slow":
            await asyncio.sleep(self.emu.settings.slow_seconds)
            await next_app(scope, receive, send)
        elif fault == "drop":
            if scope["route_handler"].opt.get(COMMIT_BEFORE_DROP):
                await next_app(scope, receive, _discard)
            await drop_connection(send)
        else:
            raise fault_error(fault, self.emu.settings.retry_after_seconds)


async def _discard(_: Message) -> None:
    """Swallow the response of a request whose connection is about to be dropped."""


async def drop_connection(send: Send) -> None:
    """Make the server close the connection without a response (see the module docstring)."""
    start: Any = {"type": "http.response.start", "status": 200, "headers": [(b"x-drop", b"\n")]}
    # if a server accepted the headers, the missing body still ends in a broken connection
    with contextlib.suppress(Exception):
        await send(start)


def fault_error(fault: str, retry_after: float) -> APIError:
    if fault == "429":
        return APIError(
            429,
            f"Rate limit reached for requests. Please try again in {retry_after:g}s.",
            type_="requests",
            code="rate_limit_exceeded",
            headers={
                "retry-after": str(math.ceil(retry_after)),
                "retry-after-ms": str(round(retry_after * 1000)),
            },
        )
    if fault == "429_daily":
        return APIError(
            429,
            "This fine-tune request has been rate-limited. Your organization has reached the "
            "maximum of 3 fine-tuning requests per day.",
            code="daily_rate_limit_exceeded",
            headers={"x-should-retry": "false"},  # without it the SDK retries uselessly
        )
    if fault == "503":
        return APIError(503, "The server is overloaded or not ready yet.", type_="server_error")
    return APIError(
        500,
        "The server had an error while processing your request. Sorry about that!",
        type_="server_error",
    )
