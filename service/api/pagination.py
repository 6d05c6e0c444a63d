"""`?limit=` and `?cursor=` for every list (keyset pages, opaque cursors)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Protocol, TypeAlias, TypeVar

from litestar.params import QueryParameter

from service.api.openapi import query_string
from service.api.schemas import Page
from service.errors import FieldError, ServiceError

T = TypeVar("T")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# `?limit=`: the bounds are checked by check_limit (a 400 naming them), and documented here.
Limit: TypeAlias = Annotated[int, QueryParameter(schema_extra={"minimum": 1, "maximum": MAX_LIMIT})]
_ULID = "[0-9A-HJKMNP-TV-Z]{26}"
_ID_CURSOR = re.compile(rf"^[a-z]{{2,4}}_{_ULID}$")
# Sequences and steps are PostgreSQL integers. ASCII digits only: str.isdigit() and int() also
# take other scripts' digits (and isdigit() takes "²", which int() refuses).
_SEQ_CURSOR = re.compile(r"[0-9]{1,10}")
MAX_SEQ = 2**31 - 1
_USE_NEXT_CURSOR = "pass back the next_cursor of the previous page"


# What the document says of cursors: a page's `next_cursor`, as the checks below accept it.
# (Sequences up to 9 digits: the checks take up to 2**31 - 1, more than a job's events reach.)
SeqCursor: TypeAlias = Annotated[str | None, query_string(pattern="^[0-9]{1,9}$")]


def id_cursor_query(prefix: str) -> QueryParameter:
    """`?cursor=` of a list of ids that start with `prefix`."""
    return query_string(pattern=f"^{prefix}{_ULID}$")


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise _bad("limit", f"limit must be 1..{MAX_LIMIT}")
    return limit


def id_cursor(cursor: str | None, prefix: str) -> str | None:
    if cursor is not None and (not _ID_CURSOR.match(cursor) or not cursor.startswith(prefix)):
        raise _bad("cursor", f"unknown cursor; {_USE_NEXT_CURSOR}")
    return cursor


def seq_cursor(cursor: str | None, name: str = "cursor", hint: str = _USE_NEXT_CURSOR) -> int:
    """A sequence (or step) cursor, or 0 for none; `name` is what the caller sent it as."""
    if cursor is None:
        return 0
    if not _SEQ_CURSOR.fullmatch(cursor) or int(cursor) > MAX_SEQ:
        raise _bad(name, f"unknown {name}; {hint}")
    return int(cursor)


def split_page(
    rows: list[T], limit: int, cursor_of: Callable[[T], str]
) -> tuple[list[T], str | None]:
    """Handlers fetch `limit + 1` rows: the extra one only says that another page exists."""
    page = rows[:limit]
    return page, (cursor_of(page[-1]) if len(rows) > limit else None)


def _bad(name: str, message: str) -> ServiceError:
    code = f"invalid_{name.lower().replace('-', '_')}"
    return ServiceError(message, status=400, errors=[FieldError(code, message, path=f"/{name}")])


class HasId(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R")
P = TypeVar("P", bound=HasId)


async def id_page(
    fetch: Callable[[str | None, int], Awaitable[Sequence[R]]],
    *,
    prefix: str,
    cursor: str | None,
    limit: int,
    present: Callable[[R], P],
) -> Page:
    """One keyset page of a list ordered by id, newest first: `fetch(after, n)` reads rows
    (ORM objects or read-path records), `present` turns each into its wire shape."""
    rows = await fetch(id_cursor(cursor, prefix), check_limit(limit) + 1)
    page, next_cursor = split_page([present(row) for row in rows], limit, lambda item: item.id)
    return Page(page, next_cursor)
