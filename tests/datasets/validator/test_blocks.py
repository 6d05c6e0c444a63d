"""A block of lines validated as one unit of work: its counters and findings, over-long examples
found by their tokens, lines renumbered when a range is folded, and row keys that reach the
parent intact."""

from __future__ import annotations

from typing import Any

import msgspec

from service.datasets.validator.blocks import Options, process_block, process_lines
from service.datasets.validator.dataset.aggregate import Aggregator
from tests.datasets.helpers import dpo, findings, good, jsonl, run, with_row

NO_TOKENS = Options(count_tokens=False)


def test_example_too_long(tmp_path: Any) -> None:
    long_text = "token " * 70_000
    report = run(tmp_path, jsonl(with_row(dpo(10, pref=long_text))), tokens=True).report
    assert findings(report) == [(10, "example_too_long")]
    assert report.stats.max_example_line == 10
    assert report.stats.max_example_tokens > 70_000
    assert run(tmp_path, jsonl(good()), tokens=True).report.valid


def test_row_keys_survive_the_trip_to_the_parent() -> None:
    rows = [msgspec.json.encode(dpo(i)) for i in (1, 2, 1)]
    result = process_lines(rows, 1, Options(count_tokens=False))
    agg = Aggregator(Options(count_tokens=False))
    agg.add_block(result)
    assert [(i.line, i.code) for i in agg.sink.kept] == [(3, "duplicate_row")]


def test_a_block_counts_crlf_and_blank_lines_from_its_first_line() -> None:
    data = jsonl([dpo(1), "", dpo(2)]).replace(b"\n", b"\r\n")
    result = process_block(data, 5, NO_TOKENS)
    assert (result.lines, result.examples, result.crlf, result.first_crlf) == (3, 2, 3, 5)
    assert [(i.line, i.code) for i in result.sink.kept] == [(6, "blank_line")]
    assert list(result.keys.lines) == [5, 7]
    assert result.pairs_compared == 2


def test_a_line_over_the_limit_is_an_example_with_one_finding() -> None:
    result = process_lines([b"x" * 50], 1, Options(count_tokens=False, max_line=10))
    assert result.examples == 1
    assert [(i.line, i.code) for i in result.sink.kept] == [(1, "line_too_long")]


def test_a_range_counted_from_line_one_is_shifted_into_place() -> None:
    result = process_lines([b"", msgspec.json.encode(dpo(1))], 1, NO_TOKENS)
    result.shift(100)
    assert [i.line for i in result.sink.kept] == [101]
    assert list(result.keys.lines) == [102]


def test_a_later_block_is_absorbed_in_file_order() -> None:
    first = process_lines([msgspec.json.encode(dpo(1))], 1, NO_TOKENS)
    later = process_lines([b"x", msgspec.json.encode(dpo(2))], 2, NO_TOKENS)
    first.absorb(later)
    assert (first.lines, first.examples, first.pairs_compared) == (3, 3, 2)
    assert [(i.line, i.code) for i in first.sink.kept] == [(2, "invalid_json")]
    assert list(first.keys.lines) == [1, 3]
