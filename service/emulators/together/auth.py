"""Together's key check on `/together/v1`: `Authorization: Bearer <key>`, the configured key only.

The presigned upload URL (`/together/_uploads/...`) is not under it: the SDK sends the bytes
there without its key, and the URL's own signature is what `files` checks.
"""

from __future__ import annotations

import hmac

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from service.emulators.errors import APIError

INVALID_KEY = "Invalid API key provided. You can find your API key at https://api.together.ai/settings/api-keys."


class BearerKeyMiddleware(ASGIMiddleware):
    """401 unless `Authorization: Bearer <expected>`; paths under `exempt` pass unchecked."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, expected: str, *, exempt: str) -> None:
        self.expected = expected
        self.exempt = exempt

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if not scope["path"].startswith(self.exempt):
            header = Headers.from_scope(scope).get("authorization", "")
            scheme, _, key = header.partition(" ")
            # constant time, like any key comparison (bytes: compare_digest refuses non-ASCII)
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                key.strip().encode(), self.expected.encode()
            ):
                raise APIError(
                    401, INVALID_KEY, type_="invalid_request_error", code="invalid_api_key"
                )
        await next_app(scope, receive, send)
