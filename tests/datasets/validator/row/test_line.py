"""One line validated: a valid row comes back typed with its facts, a row with warnings only is
still typed, duplicate keys leave no row to judge, the kind decides the rules, and msgspec's
error locations become JSON Pointers."""

from __future__ import annotations

import json

import msgspec

from service.datasets.validator.row.line import _msgspec_path, validate_line
from service.datasets.validator.row.typed import DpoRow, SftRow
from tests.datasets.helpers import dpo, edit, sft


def test_a_valid_row_comes_back_typed_with_its_facts() -> None:
    found = validate_line(msgspec.json.encode(dpo(1)), 3, "dpo")
    assert found.issues == []
    assert isinstance(found.row, DpoRow)
    assert found.facts is not None


def test_a_row_with_warnings_only_is_still_typed() -> None:
    found = validate_line(json.dumps(edit(dpo(1), "metadata", {"a": 1})).encode(), 1, "dpo")
    assert [(i.path, i.code) for i in found.issues] == [("/metadata", "unknown_field")]
    assert isinstance(found.row, DpoRow)
    assert found.facts is not None


def test_duplicate_keys_leave_no_row_to_judge() -> None:
    raw = json.dumps(dpo(1)).replace('"role": "user"', '"role": "user", "role": "user"', 1)
    found = validate_line(raw.encode(), 1, "dpo")
    assert [i.code for i in found.issues] == ["duplicate_key"]
    assert (found.row, found.facts) == (None, None)


def test_the_kind_decides_the_rules() -> None:
    raw = msgspec.json.encode(sft(1))
    as_sft = validate_line(raw, 1, "sft")
    assert as_sft.issues == []
    assert isinstance(as_sft.row, SftRow)
    assert [i.code for i in validate_line(raw, 1, "dpo").issues] == ["sft_row_in_dpo"]


def test_msgspec_locations_become_json_pointers() -> None:
    message = "Expected `str`, got `int` - at `$.input.messages[0].role`"
    assert _msgspec_path(message) == (
        "/input/messages/0/role",
        "Expected `str`, got `int`",
        "$.input.messages[0].role`",
    )
    assert _msgspec_path("Object missing required field `input`") == (
        "",
        "Object missing required field `input`",
        "",
    )
