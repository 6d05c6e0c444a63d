"""A source file streamed through a converter: the format detected from the first good row,
plain OpenAI JSON Lines passed through untouched, and every dropped row counted (listed up to a
cap per code)."""

from __future__ import annotations

import io
import json

import msgspec

from service.datasets.validator.convert.stream import Conversion
from service.datasets.validator.reading.lines import BOM
from service.datasets.validator.report import DroppedRow
from tests.datasets.helpers import dpo, jsonl


def test_auto_detects_from_the_first_good_row_and_drops_the_rows_before_it() -> None:
    conv = Conversion(
        io.BytesIO(jsonl(["{oops", {"prompt": "p", "chosen": "a", "rejected": "b"}])), "auto"
    )
    assert (conv.detected, conv.container, conv.passthrough) == ("trl", "jsonl", False)
    lines = list(conv.lines())
    assert lines == [
        msgspec.json.encode(
            {
                "input": {"messages": [{"role": "user", "content": "p"}]},
                "preferred_output": [{"role": "assistant", "content": "a"}],
                "non_preferred_output": [{"role": "assistant", "content": "b"}],
            }
        )
        + b"\n"
    ]
    report = conv.report
    assert (report.source_format, report.rows_in, report.rows_out) == ("trl", 2, 1)
    assert report.dropped == [
        DroppedRow(row=1, line=1, code="invalid_json", message=report.dropped[0].message)
    ]
    assert report.counts_by_code == {"invalid_json": 1}


def test_openai_json_lines_pass_through_unless_they_need_repair() -> None:
    rows = jsonl([dpo(i) for i in range(3)])
    assert Conversion(io.BytesIO(rows), "auto").passthrough
    assert not Conversion(io.BytesIO(BOM + rows), "auto").passthrough
    array = Conversion(io.BytesIO(json.dumps([dpo(1)]).encode()), "auto")
    assert (array.detected, array.container, array.passthrough) == ("openai", "json_array", False)


def test_dropped_rows_are_listed_up_to_the_cap_and_counted_in_full() -> None:
    no_prompt = {"chosen": "a", "rejected": "b"}
    # Not first: a file whose first line is an array would be sniffed as one JSON array.
    conv = Conversion(io.BytesIO(jsonl([no_prompt, [1], *[no_prompt] * 4])), "trl", cap_per_code=2)
    assert list(conv.lines()) == []
    report = conv.report
    assert (report.rows_in, report.rows_out, report.dropped_total) == (6, 0, 6)
    assert [(d.row, d.code) for d in report.dropped] == [
        (1, "no_prompt"),
        (2, "not_an_object"),
        (3, "no_prompt"),
    ]
    assert report.counts_by_code == {"no_prompt": 5, "not_an_object": 1}


def test_an_unknown_format_converts_nothing() -> None:
    conv = Conversion(io.BytesIO(jsonl([{"question": "q"}])), "auto")
    assert conv.detected is None
    assert conv.report.source_format == "unknown"
    assert list(conv.lines()) == []
    assert Conversion(io.BytesIO(b""), "auto").detected is None
