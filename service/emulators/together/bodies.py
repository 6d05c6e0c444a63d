"""Reading a JSON request body, a malformed one answered in Together's words."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request

from service.emulators.together.errors import invalid

NOT_JSON = "Invalid request body: expected a JSON object."


async def read_object(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The body as a JSON object (an empty body is `{}`); anything else is a 400."""
    raw = await request.body()
    try:
        value = msgspec.json.decode(raw) if raw.strip() else {}
    except msgspec.DecodeError:
        raise invalid(NOT_JSON) from None
    if not isinstance(value, dict):
        raise invalid(NOT_JSON)
    return value
