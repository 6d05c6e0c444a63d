"""The structural walk of rows the typed structs refuse: it agrees with them, names every problem
itself (the generic fallback never fires), and removes unknown keys it reports."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from service.datasets.validator.row.line import validate_line
from service.datasets.validator.row.typed import DPO_DECODER
from service.datasets.validator.row.walk import json_type, walk_row
from tests.datasets.helpers import STOCK_TOOL, call, dpo, edit, msg
from tests.datasets.validator.test_conformance import CASES

ROWS_FOR_AGREEMENT = [
    dpo(0),
    dpo(1, tools=[STOCK_TOOL]),
    edit(dpo(2), "input/messages/1/role", "human"),
    edit(dpo(3), "preferred_output", []),
    edit(dpo(4), "input/tools", [{"type": "x"}]),
    edit(dpo(5), "preferred_output/0/tool_calls", [call()]),
    {"input": {"messages": [msg("user")]}},
    edit(dpo(6), "input/messages/0/content", [{"type": "text", "text": "a", "extra": 1}]),
]


@pytest.mark.parametrize("row", ROWS_FOR_AGREEMENT)
def test_fast_and_slow_paths_agree(row: dict[str, Any]) -> None:
    """A row the typed structs accept is one the walker finds no error in, and vice versa."""
    raw = msgspec.json.encode(row)
    try:
        DPO_DECODER.decode(raw)
        fast_ok = True
    except msgspec.ValidationError:
        fast_ok = False
    walk = walk_row(msgspec.json.decode(raw), "dpo", 1)
    assert fast_ok == (not walk.issues)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_no_schema_violation_fallback_is_needed(case: Any) -> None:
    """The walker names every structural problem: the generic fallback code never fires."""
    for n, raw in enumerate(case.data.split(b"\n"), 1):
        found = validate_line(raw.rstrip(b"\r"), n, "dpo")
        assert all(i.code != "schema_violation" for i in found.issues)


def test_unknown_keys_are_reported_and_removed() -> None:
    row = edit(dpo(1), "input/messages/0/refusal", None)
    walk = walk_row(row, "dpo", 4)
    assert [(i.line, i.path, i.code) for i in walk.issues] == [
        (4, "/input/messages/0/refusal", "unknown_field")
    ]
    assert not walk.failed
    assert "refusal" not in row["input"]["messages"][0]


@pytest.mark.parametrize(
    ("value", "name"),
    [(None, "null"), (True, "a boolean"), (1.5, "a number"), ({}, "an object"), ("", "a string")],
)
def test_json_types_are_named_as_json_names_them(value: object, name: str) -> None:
    assert json_type(value) == name
