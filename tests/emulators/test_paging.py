"""Cursor pagination: `limit` reading, the page after a cursor, and the list body."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from service.emulators.errors import APIError
from service.emulators.paging import list_json, paginate, parse_limit


@dataclass(frozen=True)
class Item:
    id: str


ITEMS = [Item(f"i{index}") for index in range(5)]


def test_limit_defaults_caps_and_refuses_below_one() -> None:
    assert parse_limit(None, default=20, maximum=100) == 20
    assert parse_limit(7, default=20, maximum=100) == 7
    assert parse_limit(1000, default=20, maximum=100) == 100
    with pytest.raises(APIError) as info:
        parse_limit(0, default=20, maximum=100)
    assert (info.value.status, info.value.param) == (400, "limit")


def test_pages_follow_the_cursor() -> None:
    first, more = paginate(ITEMS, None, 2)
    second, more_again = paginate(ITEMS, first[-1].id, 2)
    last, done = paginate(ITEMS, second[-1].id, 2)

    assert ([i.id for i in first], more) == (["i0", "i1"], True)
    assert ([i.id for i in second], more_again) == (["i2", "i3"], True)
    assert ([i.id for i in last], done) == (["i4"], False)


def test_an_exact_last_page_has_no_more_and_an_unknown_cursor_is_empty() -> None:
    assert paginate(ITEMS, "i2", 2) == ([ITEMS[3], ITEMS[4]], False)
    assert paginate(ITEMS, "gone", 2) == ([], False)


def test_list_body_with_and_without_first_and_last_ids() -> None:
    data = [{"id": "a"}, {"id": "b"}]

    assert list_json(data, True) == {"object": "list", "data": data, "has_more": True}
    assert list_json(data, False, with_ids=True) == {
        "object": "list",
        "data": data,
        "has_more": False,
        "first_id": "a",
        "last_id": "b",
    }
    assert list_json([], False, with_ids=True)["first_id"] is None
