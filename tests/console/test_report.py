from __future__ import annotations

from typing import Any

from service.console.report import report_view, verdicts


def issue(code: str, line: int | None, severity: str = "warning") -> dict[str, Any]:
    return {"code": code, "line": line, "path": "/x", "severity": severity, "message": f"{code}!"}


REPORT: dict[str, Any] = {
    "valid": True,
    "errors_total": 0,
    "warnings_total": 25,
    "errors": [],
    "warnings": [
        issue("duplicate_row", 3),
        issue("identical_outputs", 4),
        issue("duplicate_row", 9),
    ],
    "counts_by_code": {"duplicate_row": 23, "identical_outputs": 2},
    "stats": {
        "examples": 1200,
        "lines": 1201,
        "bytes": 2_500_000,
        "tokens_counted": True,
        "total_tokens": 123456,
        "max_example_tokens": 900,
        "max_example_line": 17,
        "n_epochs": 3,
        "estimated_trained_tokens": 370368,
    },
}


def test_warnings_are_grouped_by_code_with_their_lines_and_exact_totals() -> None:
    view = report_view(REPORT)
    [duplicates, identical] = view.warnings
    assert duplicates.code == "duplicate_row"
    assert [p.line for p in duplicates.shown] == [3, 9]
    assert (duplicates.total, duplicates.capped) == (23, 21)
    assert (identical.total, identical.capped) == (2, 1)
    assert view.errors == ()


def test_counts_and_token_figures_read_as_people_write_them() -> None:
    view = report_view(REPORT)
    assert ("Examples", "1,200") in view.figures
    assert ("Size", "2.5 MB") in view.figures
    assert ("Longest example", "900 (line 17)") in view.tokens
    assert ("Estimated trained tokens (3 epochs)", "370,368") in view.tokens


def test_no_token_figures_when_tokens_were_not_counted() -> None:
    assert report_view({"stats": {"examples": 3}}).tokens == ()


def test_a_report_without_provider_verdicts_says_so_with_none() -> None:
    assert report_view(REPORT).providers is None


def test_provider_verdicts_as_a_mapping_with_problems_and_a_total() -> None:
    found = verdicts(
        {
            "openai": {"accepted": True, "problems": []},
            "together": {
                "accepted": False,
                "problems": [
                    {"line": 4, "path": "/preferred_output/0/content", "message": "parts"}
                ],
                "problems_total": 7,
            },
        }
    )
    assert found is not None
    openai, together = found
    assert (openai.provider, openai.accepted, openai.problems) == ("openai", True, ())
    assert together.accepted is False
    assert together.problems[0].line == 4 and together.more == 6


def test_a_verdict_the_report_does_not_state_is_unknown() -> None:
    found = verdicts({"azure": "not a verdict", "openai": {"problems": []}})
    assert found is not None
    assert [(v.provider, v.accepted) for v in found] == [("azure", None), ("openai", None)]
    assert verdicts(["not", "a", "mapping"]) is None
