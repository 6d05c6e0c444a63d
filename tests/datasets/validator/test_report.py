"""The issue sink behind every report: capped lists, exact totals, file-level findings first."""

from __future__ import annotations

from typing import Any

from service.datasets.validator.codes import issue
from service.datasets.validator.report import DatasetStats, IssueSink


def test_sink_caps_per_code_but_counts_everything() -> None:
    sink = IssueSink(cap_per_code=3)
    for line in range(10):
        sink.add(issue(line, None, "invalid_json", "x"))
        sink.add(issue(line, None, "blank_line", "x"))
    other = IssueSink(cap_per_code=3)
    other.add(issue(11, None, "invalid_json", "x"))
    sink.merge(other)
    report = sink.report(tokens_stats(), kind="dpo", detected_format="openai")
    assert report.errors_total == 11 and report.warnings_total == 10
    assert [i.line for i in report.errors] == [0, 1, 2]
    assert report.counts_by_code == {"blank_line": 10, "invalid_json": 11}


def tokens_stats() -> Any:
    return DatasetStats()


def test_file_level_issues_come_first_and_uncapped_counts_still_count() -> None:
    sink = IssueSink()
    sink.add(issue(5, None, "blank_line", "x"))
    sink.add(issue(None, None, "too_few_examples", "x"))
    sink.count_more("row_not_converted", "error", 3)
    sink.count_more("row_not_converted", "error", 0)
    report = sink.report(DatasetStats(), kind="sft", detected_format="trl")
    assert [i.code for i in report.errors] == ["too_few_examples"]
    assert [i.line for i in report.warnings] == [5]
    assert (report.errors_total, report.warnings_total) == (4, 1)
    assert report.counts_by_code == {
        "blank_line": 1,
        "row_not_converted": 3,
        "too_few_examples": 1,
    }
    assert (report.valid, report.kind, report.detected_format) == (False, "sft", "trl")
