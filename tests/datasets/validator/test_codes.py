"""The code registry: every code has a severity and a summary, and issues take theirs from it."""

from __future__ import annotations

from service.datasets.validator.codes import CODES, issue, pointer


def test_every_code_has_a_severity_and_summary() -> None:
    for code, (severity, summary) in CODES.items():
        assert code.islower() and " " not in code
        assert severity in ("error", "warning") and summary


def test_an_issue_takes_its_severity_from_the_registry() -> None:
    assert issue(3, "/input", "blank_line", "m").severity == "warning"
    assert issue(None, None, "invalid_json", "m").severity == "error"


def test_pointers_escape_user_supplied_keys() -> None:
    assert pointer("/input", "a/b~c") == "/input/a~1b~0c"
    assert pointer("/input/messages", 0) == "/input/messages/0"
