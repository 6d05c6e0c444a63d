"""A stored report's verdict for the job's provider: refused rows become the 422's errors."""

from __future__ import annotations

from typing import Any

from service.datasets.acceptance import SHOWN, refusal, summary


def _report(accepted: bool, problems: list[dict[str, Any]], total: int) -> dict[str, Any]:
    verdict = {"accepted": accepted, "problems_total": total, "problems": problems}
    return {"valid": True, "providers": {"together": verdict}}


def test_each_refused_row_names_the_field_line_and_path() -> None:
    problem = {"line": 7, "path": "/non_preferred_output", "message": "exactly one"}
    errors = refusal("ds_1", _report(False, [problem], 1), "together", "/training_dataset_id")
    assert [(e.code, e.line, e.path) for e in errors] == [
        ("dataset_refused_by_provider", 7, "/training_dataset_id")
    ]
    assert errors[0].message == (
        "together refuses line 7 at /non_preferred_output of dataset ds_1: exactly one"
    )


def test_only_the_first_rows_are_named_and_the_summary_counts_all() -> None:
    problems = [{"line": n, "path": None, "message": "bad"} for n in range(1, 21)]
    report = _report(False, problems, 40)
    errors = refusal("ds_1", report, "together", "/validation_dataset_id")
    assert [e.line for e in errors] == list(range(1, SHOWN + 1))
    assert "40 problem(s)" in summary("ds_1", report, "together")


def test_a_file_level_problem_has_no_line() -> None:
    problem = {"line": None, "path": None, "message": "needs at least 10"}
    (error,) = refusal("ds_1", _report(False, [problem], 1), "together", "/dataset_id")
    assert error.line is None and "refuses the file of dataset ds_1" in error.message


def test_accepted_unknown_or_unjudged_datasets_pass() -> None:
    assert refusal("ds_1", _report(True, [], 0), "together", "/training_dataset_id") == []
    assert refusal("ds_1", _report(False, [], 1), "openai", "/training_dataset_id") == []
    assert refusal("ds_1", {"valid": True}, "together", "/training_dataset_id") == []
