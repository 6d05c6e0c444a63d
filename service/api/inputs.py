"""What the edge refuses before a handler sees it, once for every route.

PostgreSQL text cannot hold NUL (U+0000): a NUL that reached a query failed there, as a 500.
Path and query parameters are checked by the app's `before_request` hook, JSON bodies by its
request class (`CheckedRequest`); each refusal names the parameter, or the JSON Pointer of the
body's value. JSON bodies are also limited in depth: the decoder recurses, and a body a thousand
levels deep exhausted the stack (another 500).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import msgspec
from litestar import Request

from service.errors import FieldError, ServiceError, invalid, pointer

NUL = "\x00"
# Our bodies are three levels deep at most (a pipeline's sft.hyperparameters).
MAX_JSON_DEPTH = 32

# The depth check reads a body's structure: each string becomes one quote (one that never ends
# runs to the end of the body, so no quote inside it starts another; possessive, so one pass),
# and everything but brackets, commas, colons and quotes is dropped.
_STRING = re.compile(rb'"(?:[^"\\]++|\\(?s:.))*+"?')
_NOT_STRUCTURE = bytes(c for c in range(256) if c not in b'"[]{},:')
_QUOTE, _COLON, _COMMA = b'"'[0], b":"[0], b","[0]
_OPEN, _CLOSE = b"[{", b"]}"


def _within(depth: int) -> re.Pattern[bytes]:
    """Structure whose containers are nested `depth` levels at most. Without recursion in `re`,
    each level is spelled out (the pattern grows linearly); possessive, it reads each byte once."""
    container = rb"(?!)"
    for _ in range(depth):
        container = rb"[\[{](?:[^\[\]{}]++|" + container + rb")*+[\]}]"
    return re.compile(rb"(?:[^\[\]{}]++|" + container + rb")*+")


_WITHIN_MAX_DEPTH = _within(MAX_JSON_DEPTH)


# Date-time query parameters as the document states them (RFC 3339; the offset may be left out,
# as before): Litestar would also take a number as seconds since the epoch.
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    r"([Zz]|[+-][0-9]{2}:?[0-9]{2})?"
)


def check_date_times(request: Request[Any, Any, Any], *names: str) -> None:
    for name in names:
        value = request.query_params.get(name)
        if value is not None and not _DATE_TIME.fullmatch(value):
            message = (
                f"query parameter {name!r}: {value[:40]!r} is not a date-time; expected an "
                "RFC 3339 date-time such as 2025-01-31T09:30:00Z"
            )
            raise refuse("invalid_query_parameter", f"/{name}", message)


def refuse(code: str, path: str, message: str) -> ServiceError:
    return ServiceError(message, status=400, errors=[FieldError(code, message, path=path)])


def check_parameters(request: Request[Any, Any, Any]) -> None:
    """A NUL in any path or query parameter (or a query parameter's name) is a 400 naming it."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and NUL in value:
            message = f"path parameter {name!r} contains a NUL character (\\u0000)"
            raise refuse("invalid_path_parameter", f"/{name}", message)
    for name, value in request.query_params.multi_items():
        if NUL in name or NUL in value:
            message = f"query parameter {name!r} contains a NUL character (\\u0000)"
            raise refuse("invalid_query_parameter", f"/{name}", message)


def check_choices(name: str, values: Iterable[str], choices: Iterable[str]) -> list[str]:
    """Query values that must each be one of `choices`: a 422 listing them otherwise (a filter
    on a value that cannot exist would answer an empty page, which looks like "none yet")."""
    values, valid = list(values), list(choices)
    unknown = [value for value in values if value not in valid]
    if unknown:
        shown = ", ".join(repr(value) for value in unknown)
        message = f"unknown {name} {shown}; the valid values are {', '.join(valid)}"
        raise invalid(message, [FieldError("invalid_query_parameter", message, path=f"/{name}")])
    return values


class CheckedRequest(Request[Any, Any, Any]):
    """Every JSON body a handler declares is decoded here (Litestar's `data` extraction).
    Decoded first: malformed JSON costs nothing more than before (the decoder's 400), and the
    checks below only read bodies that are JSON."""

    async def json(self) -> Any:
        body = await self.body()
        try:
            value = await super().json()
        except RecursionError as error:
            raise too_deep(body) from error
        if not within_max_depth(body):
            raise too_deep(body)
        # A NUL can only arrive escaped (a raw one is not JSON): most bodies skip the walk.
        where = nul_pointer(value) if b"\\u0000" in body else None
        if where is not None:
            message = f"the value at {where or '/'} contains a NUL character (\\u0000)"
            raise refuse("invalid_body", where, message)
        return value


def within_max_depth(body: bytes) -> bool:
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return True  # the common case: too few brackets to nest that deep
    return _WITHIN_MAX_DEPTH.fullmatch(_structure(body)) is not None


def too_deep(body: bytes) -> ServiceError:
    """The refusal of a body nested deeper than MAX_JSON_DEPTH, naming where it goes too deep
    (only bodies known to be too deep are read one token at a time)."""
    places = _too_deep(_structure(body), MAX_JSON_DEPTH)
    where = pointer(*_named(places, body)) if places is not None else ""
    return refuse(
        "invalid_body", where, f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels"
    )


def _structure(body: bytes) -> bytes:
    return _STRING.sub(b'"', body).translate(None, _NOT_STRUCTURE)


def _too_deep(structure: bytes, limit: int) -> list[int] | None:
    """Where the first container deeper than `limit` opens: per open container, the index
    (>= 0) or the key (-1 - the key's ordinal among the body's strings) being read."""
    places: list[int] = []
    strings = 0
    for token in structure:
        if token == _QUOTE:
            strings += 1
        elif token == _COLON and places:
            places[-1] = -strings  # the string just read was this value's key
        elif token == _COMMA and places and places[-1] >= 0:
            places[-1] += 1
        elif token in _OPEN:
            if len(places) == limit:
                return places
            places.append(0 if token == _OPEN[0] else -1)
        elif token in _CLOSE and places:
            places.pop()
    return None


def _named(places: list[int], body: bytes) -> list[str | int]:
    strings = _STRING.findall(body)
    return [place if place >= 0 else _key(strings[-1 - place]) for place in places]


def _key(token: bytes) -> str:
    try:
        key: str = msgspec.json.decode(token)
    except msgspec.DecodeError:
        return token.decode("utf-8", "replace")
    return key


def nul_pointer(value: Any, place: tuple[str | int, ...] = ()) -> str | None:
    """The JSON Pointer of the first string (or key) holding a NUL, or None. Recursive: only
    called on bodies no deeper than MAX_JSON_DEPTH."""
    if isinstance(value, str):
        return pointer(*place) if NUL in value else None
    items: Iterable[tuple[str | int, Any]] = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items:
        if isinstance(key, str) and NUL in key:
            return pointer(*place, key)
        found = nul_pointer(item, (*place, key))
        if found is not None:
            return found
    return None
