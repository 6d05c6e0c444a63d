"""Rows of a source file to convert: which container a file is, and its rows from JSON Lines,
one JSON array or concatenated JSON values, each with its number and line, or why it is not a
row (bad JSON, over the size bound, nested too deeply)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from service.datasets.validator.reading.lines import BOM
from service.datasets.validator.reading.source_rows import (
    Container,
    SourceRow,
    build_values,
    json_rows,
    jsonl_rows,
    sniff,
)


def _ignore(_: bytes) -> None:
    return None


def rows_of(data: bytes, container: Container, max_line: int = 1 << 20) -> list[SourceRow]:
    return list(json_rows(io.BytesIO(data), container, max_line=max_line, on_chunk=_ignore))


@pytest.mark.parametrize(
    ("head", "container"),
    [
        (b'{"a": 1}\n{"a": 2}\n', "jsonl"),
        (b"  [\n  {", "json_array"),
        (BOM + b"[{}]", "json_array"),
        (b'{\n  "a": 1\n}\n', "json_values"),
        (b'{"a": \n{"a": 2}\n', "jsonl"),  # a broken first row: the others still count
        (b"", "jsonl"),
    ],
)
def test_the_container_is_sniffed_from_the_first_bytes(head: bytes, container: str) -> None:
    assert sniff(head) == container


def test_jsonl_rows_skip_blank_lines_and_say_why_a_line_is_no_row() -> None:
    data = b'{"a": 1}\n\n  \nnot json\n' + b"x" * (3 << 20) + b"\n[2]"
    chunks: list[bytes] = []
    rows = list(jsonl_rows(io.BytesIO(data), max_line=1 << 20, on_chunk=chunks.append))
    assert [(r.number, r.line, r.value) for r in rows] == [
        (1, 1, {"a": 1}),
        (2, 4, None),
        (3, 5, None),
        (4, 6, [2]),
    ]
    assert [r.error for r in rows] == [
        None,
        "invalid JSON: JSON is malformed: invalid character (byte 4)",
        "line is 3,145,728 bytes, over the limit",
        None,
    ]
    assert b"".join(chunks) == data  # every byte read is seen (progress, hashing)


def test_a_deep_jsonl_line_is_no_row() -> None:
    rows = list(jsonl_rows(io.BytesIO(b"[" * 100_000 + b"\n"), max_line=1 << 20, on_chunk=_ignore))
    assert rows == [SourceRow(1, 1, None, "JSON nested too deeply")]


def test_a_json_array_yields_its_elements_after_a_bom() -> None:
    assert rows_of(BOM + b'[{"a": 1.5}, [],\n "s"]', "json_array") == [
        SourceRow(1, 1, {"a": 1.5}, None),
        SourceRow(2, 1, [], None),
        SourceRow(3, 2, "s", None),
    ]


def test_concatenated_values_are_rows() -> None:
    data = b'{\n  "a": 1\n}\n{\n  "a": [2, {"b": null}]\n}\n'
    assert [r.value for r in rows_of(data, "json_values")] == [{"a": 1}, {"a": [2, {"b": None}]}]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b'[{"a": 1}, "' + b"x" * 200_000 + b'"]', "an element over 1,000 bytes"),
        (b'[{"a": 1}, ' + b"[" * 300 + b"]" * 300 + b"]", "JSON nested deeper than 256 levels"),
        (b'[{"a": 1}, oops]', "invalid JSON after element 1: "),
    ],
)
def test_a_bad_element_ends_the_rows_and_says_why(data: bytes, error: str) -> None:
    first, bad = rows_of(data, "json_array", max_line=1000)
    assert first == SourceRow(1, 1, {"a": 1}, None)
    assert (bad.number, bad.line, bad.value) == (2, 1, None)
    assert bad.error is not None and bad.error.startswith(error)


def test_values_are_built_from_parse_events_at_the_given_depth() -> None:
    events: list[tuple[str, Any]] = [
        ("start_array", None),
        ("start_map", None),
        ("map_key", "a"),
        ("start_array", None),
        ("number", 1),
        ("end_array", None),
        ("end_map", None),
        ("string", "s"),
        ("end_array", None),
    ]
    assert list(build_values(iter(events), top=1)) == [{"a": [1]}, "s"]
    assert list(build_values(iter(events), top=0)) == [[{"a": [1]}, "s"]]
