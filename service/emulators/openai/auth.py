"""OpenAI's key check on `/v1`: a bearer token, and only the configured one when there is one."""

from __future__ import annotations

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from service.emulators.errors import APIError
from service.emulators.openai_compat.state import Emulator

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
