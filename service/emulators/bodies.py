"""Reading request bodies ourselves, so malformed ones get the API's 400 rather than Litestar's.

The wording is OpenAI's (Azure serves the same API); a provider that words it otherwise catches
the error or reads the body itself.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.datastructures import FormMultiDict, UploadFile

from service.emulators.errors import bad_request, too_large

NOT_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
    "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
    "valid JSON.)"
)


async def read_json_object(request: Request[Any, Any, Any]) -> dict[str, Any]:
    raw = await request.body()
    try:
        value = msgspec.json.decode(raw) if raw else {}
    except msgspec.DecodeError:
        raise bad_request(NOT_JSON) from None
    if not isinstance(value, dict):
        raise bad_request(NOT_JSON)
    return value


async def read_upload(form: FormMultiDict, field: str, *, limit: int) -> tuple[str, bytes] | None:
    """(filename, bytes) of a multipart file field, or None; bigger than `limit` is a 413.

    Litestar spools the part to a temporary file while parsing; reading it here makes the one
    in-memory copy the emulator keeps.
    """
    value = form.get(field)
    if isinstance(value, str):  # a part sent without a filename arrives as text
        content = value.encode()
        if len(content) > limit:
            raise too_large(limit, param=field)
        return "", content
    if not isinstance(value, UploadFile):
        return None
    size = value.file.seek(0, 2)
    value.file.seek(0)
    if size > limit:
        raise too_large(limit, param=field)
    return value.filename, await value.read()


async def close_form(form: FormMultiDict) -> None:
    for _, value in form.multi_items():
        if isinstance(value, UploadFile):
            await value.close()
