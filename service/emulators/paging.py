"""Cursor pagination: `after` (the last id of the previous page), `limit`, and the list body.

OpenAI's convention, which Azure's copy of its API shares; a provider without paging (Together's
lists) simply returns everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from service.emulators.errors import bad_request


class HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=HasId)


def parse_limit(limit: int | None, *, default: int, maximum: int) -> int:
    """`limit` as OpenAI reads it: default when absent, 400 below 1, capped at `maximum`."""
    if limit is None:
        return default
    if limit < 1:
        raise bad_request("Invalid value for 'limit': must be at least 1.", param="limit")
    return min(limit, maximum)


def paginate(items: Sequence[T], after: str | None, limit: int) -> tuple[list[T], bool]:
    """The page after the item whose id is `after` (an unknown cursor gives an empty page)."""
    start = 0
    if after is not None:
        position = next((index for index, item in enumerate(items) if item.id == after), None)
        start = len(items) if position is None else position + 1
    return list(items[start : start + limit]), start + limit < len(items)


def list_json(
    data: list[dict[str, Any]], has_more: bool, *, with_ids: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {"object": "list", "data": data, "has_more": has_more}
    if with_ids:
        body["first_id"] = data[0]["id"] if data else None
        body["last_id"] = data[-1]["id"] if data else None
    return body
