"""Folding block results into one report: duplicates and contradictions across blocks, preference
cycles named by their lines, file-level findings, statistics; and blocks from a process with
another hash secret refused."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from service.datasets.validator.blocks import BlockResult, Options, process_lines
from service.datasets.validator.dataset.aggregate import Aggregator
from service.datasets.validator.report import IssueSink
from tests.datasets.helpers import dpo, good

NO_TOKENS = Options(count_tokens=False)


def folded(*blocks: list[Any]) -> Aggregator:
    """Each list of rows one block, on lines 1, 2, ... in file order."""
    agg = Aggregator(NO_TOKENS)
    line = 1
    for rows in blocks:
        result = process_lines([msgspec.json.encode(r) for r in rows], line, NO_TOKENS)
        agg.add_block(result)
        line += len(rows)
    return agg


def finished(agg: Aggregator, *, bom: bool = False, final_newline: bool = True) -> Any:
    agg.finish(lines=agg.lines, size=0, bom=bom, final_newline=final_newline, n_epochs=None)
    return agg.report("openai")


def found(report: Any) -> list[tuple[int | None, str]]:
    return [(i.line, i.code) for i in [*report.errors, *report.warnings]]


def test_blocks_from_another_hash_secret_are_refused() -> None:
    agg = Aggregator(Options())
    agg.add_block(BlockResult(IssueSink()))
    with pytest.raises(RuntimeError, match="hash secrets"):
        agg.add_block(BlockResult(IssueSink(), probe=12345))


def test_duplicates_and_contradictions_are_found_across_blocks() -> None:
    swapped = dpo(2, pref="I don't know.", nonpref="The answer is 4.")
    report = finished(folded(good(6), [*good(4, 6), dpo(3), swapped]))
    assert found(report) == [(11, "duplicate_row"), (12, "contradictory_pair")]
    assert report.warnings[0].message == (
        "this example repeats line 4 exactly (same input and outputs)"
    )
    assert report.warnings[1].message.startswith("line 3 has the same input with these two")


def test_a_cycle_is_named_by_its_lines() -> None:
    cycle = [dpo(2, pref=p, nonpref=n) for p, n in [("A.", "B."), ("B.", "C."), ("C.", "A.")]]
    report = finished(folded(good(), cycle))
    assert found(report) == [(13, "preference_cycle")]
    assert report.warnings[0].message.startswith("lines 11, 12 and 13 state preferences")


def test_file_level_findings() -> None:
    report = finished(folded(good(3)), bom=True, final_newline=False)
    assert found(report) == [
        (None, "too_few_examples"),
        (1, "utf8_bom"),
        (3, "missing_final_newline"),
    ]
    assert finished(Aggregator(NO_TOKENS)).counts_by_code == {"empty_file": 1}


@pytest.mark.parametrize(
    ("first_line", "code"), [(b"[{", "json_array_not_jsonl"), (b"{", "pretty_printed_json")]
)
def test_a_file_that_is_one_json_document_gets_one_finding(first_line: bytes, code: str) -> None:
    agg = Aggregator(NO_TOKENS)
    agg.file_not_jsonl(first_line)
    assert found(finished(agg, final_newline=False)) == [(1, code)]


def test_a_long_line_counts_as_an_example() -> None:
    agg = folded(good(9))
    agg.add_long_line(10, 9 << 20)
    report = finished(agg)
    assert report.stats.examples == 10
    assert found(report) == [(10, "line_too_long")]


def test_statistics() -> None:
    report = finished(folded(good(4), good(6, 4)))
    stats = report.stats
    assert (stats.examples, stats.lines, stats.distinct_prompts) == (10, 10, 10)
    assert (stats.pairs_compared, stats.preferred_longer, stats.preferred_longer_share) == (
        10,
        10,
        1.0,
    )
    assert (stats.n_epochs, stats.total_tokens, stats.tokens_counted) == (10, 0, False)
