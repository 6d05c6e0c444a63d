"""Where each element of a JSON document starts, from the bytes as they stream past in chunks of
any size: strings with brackets, quotes and backslashes in them, scalars, nested values."""

from __future__ import annotations

import json

import pytest

from service.datasets.validator.reading.element_lines import ElementLines
from tests.datasets.helpers import element_lines

TRICKY = [
    {"prompt": 'a "quoted" [bracket] {brace}, comma', "chosen": "back\\slash\\", "n": [1, {}]},
    "a string element",
    12345.5e3,
    True,
    None,
    [],
    {"nested": [[["deep"]], {"x": '\\"]'}]},
    {"unicode": "é — 数据", "escaped": "\u2028 \n \t"},
]


def starts(data: bytes, depth: int, chunk: int) -> list[int]:
    lines = ElementLines(depth)
    for at in range(0, len(data), chunk):
        lines.feed(data[at : at + chunk])
    found = []
    while (line := lines.next_start()) is not None:
        found.append(line)
    return found


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64, 1 << 20])
@pytest.mark.parametrize("indent", [None, 1, 4])
def test_array_elements_start_where_the_json_module_finds_them(
    chunk: int, indent: int | None
) -> None:
    text = json.dumps(TRICKY * 3, indent=indent, ensure_ascii=False)
    expected = element_lines(text)
    assert len(expected) == len(TRICKY) * 3
    assert starts(text.encode(), 1, chunk) == expected


@pytest.mark.parametrize("chunk", [1, 4, 1 << 20])
def test_concatenated_values_start_where_each_begins(chunk: int) -> None:
    values = [{"a": 1}, {"b": "x}\n"}, {"c": [1, 2]}]
    text = "\n".join(json.dumps(v, indent=2) for v in values) + "\n"
    # {"a": 1} takes 3 lines, {"b": ...} 3, so the values start on lines 1, 4 and 7.
    assert starts(text.encode(), 0, chunk) == [1, 4, 7]


def test_the_line_read_so_far_is_known_for_a_parse_error() -> None:
    lines = ElementLines(1)
    lines.feed(b'[\n{"a": 1},\n\n oops')
    assert lines.line == 4
