"""Azure's key check on `/openai/v1`: the `api-key` header, equal to the configured key.

A missing key, a wrong one, and a bearer token instead of `api-key` all get the same 401: Azure
does not tell them apart.
"""

from __future__ import annotations

import hmac

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from service.emulators.azure.errors import AzureError

ACCESS_DENIED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
    "valid key for an active subscription and use a correct regional API endpoint for your "
    "resource."
)


class ApiKeyMiddleware(ASGIMiddleware):
    """401 unless the `api-key` header is exactly `expected`."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, expected: str) -> None:
        self.expected = expected

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        key = Headers.from_scope(scope).get("api-key", "")
        # constant time, like any key comparison (bytes: compare_digest refuses non-ASCII str)
        if not hmac.compare_digest(key.encode(), self.expected.encode()):
            raise AzureError(401, ACCESS_DENIED, code="401")
        await next_app(scope, receive, send)
