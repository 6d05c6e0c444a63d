"""JSON-level findings for one line: why it does not decode, and the duplicate keys that decoding
would hide (a cheap count first, the exact check only when the count cannot vouch)."""

from __future__ import annotations

import msgspec
import pytest

from service.datasets.validator.row.decoding import (
    check_duplicate_keys,
    decode_failure,
    duplicate_keys,
    duplicate_keys_suspected,
    keys_in,
    row_keys,
)
from service.datasets.validator.row.typed import ANY_DECODER, DPO_DECODER, SFT_DECODER
from tests.datasets.validator.test_conformance import CASES, SFT_CASES, Case


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        (b'{"a": NaN}', "nan_or_infinity", "NaN/Infinity at byte 7: JSON has no such numbers"),
        (b'{"a": -Infinity}', "nan_or_infinity", "NaN/Infinity at byte 8: "),
        (b'{"a": "\xff"}', "invalid_utf8", "invalid UTF-8 at byte "),
        (b'{"a": [', "invalid_json", "invalid JSON: the line ends before the value does"),
        (b'{"a": "\\ud800"}', "invalid_json", "a \\uD800-\\uDBFF escape without its low surrogate"),
        (b'{"a": 1,}', "invalid_json", "invalid JSON at byte 9: trailing comma in object"),
        (b"[" * 10_000 + b"]" * 10_000, "nesting_too_deep", "the JSON is nested too deeply"),
    ],
)
def test_a_decoding_failure_is_classified(raw: bytes, code: str, message: str) -> None:
    with pytest.raises((msgspec.DecodeError, UnicodeDecodeError, RecursionError)) as failure:
        ANY_DECODER.decode(raw)
    found = decode_failure(raw, failure.value, 3)
    assert (found.line, found.path, found.code) == (3, None, code)
    assert found.message.startswith(message)


def test_keys_are_counted_in_nested_values() -> None:
    assert keys_in({"a": {"b": 1, "c": [{"d": 2}, 3]}, "e": "f"}) == 5
    assert keys_in([1, "x"]) == 0


@pytest.mark.parametrize("case", [*CASES, *SFT_CASES], ids=lambda c: c.id)
def test_keys_counted_from_the_structs_equal_the_keys_in_the_json(case: Case) -> None:
    """The cheap count (from a typed row) must equal the generic one, or rows would be flagged
    (or, worse, missed) for duplicate keys."""
    decoder = SFT_DECODER if case in SFT_CASES else DPO_DECODER
    for raw in case.data.split(b"\n"):
        try:
            row = decoder.decode(raw.rstrip(b"\r"))
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            continue
        assert row_keys(row) == keys_in(ANY_DECODER.decode(raw.rstrip(b"\r")))


def test_the_exact_check_runs_only_when_the_count_cannot_vouch() -> None:
    assert not duplicate_keys_suspected(b'{"a": 1}', 1)
    assert not duplicate_keys_suspected(b'{"a": "\\":"}', 1)  # `\":` in a string is no key
    assert duplicate_keys_suspected(b'{"a": 1, "a": 2}', 1)
    assert duplicate_keys_suspected(b'{"a" : 1}', 1)  # spaced from its colon: not counted


def test_duplicate_keys_are_named_at_any_depth() -> None:
    assert duplicate_keys(b'{"a": 1, "b": {"a": 2, "a": 3}, "a": 4}') == ["a", "a"]
    assert duplicate_keys(b"not json") == []
    found = check_duplicate_keys(b'{"a": 1, "b": 2, "b": 3, "a": 4}', 2, 7)
    assert found is not None
    assert (found.line, found.code) == (7, "duplicate_key")
    assert found.message.startswith("duplicate key 'b', 'a' in one object")
    assert check_duplicate_keys(b'{"a": 1}', 1, 7) is None
