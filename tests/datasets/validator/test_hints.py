"""Files that are not JSON Lines for a reason the sender can fix say so once: a CSV file, and a
JSONL file whose newlines were stripped on the way (`curl -d`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.datasets.helpers import good, jsonl, run

CSV = b"prompt,chosen,rejected\n" + b"".join(
    b'"What is %d?","It is %d.","No idea."\n' % (i, i) for i in range(300)
)


def test_a_csv_file_gets_one_hint_to_send_jsonl(tmp_path: Path) -> None:
    report = run(tmp_path, CSV).report
    assert report.counts_by_code["csv_not_jsonl"] == 1
    [hint] = [e for e in report.errors if e.code == "csv_not_jsonl"]
    assert hint.line == 1 and "CSV" in hint.message and "JSONL" in hint.message
    assert report.errors[0] == hint  # first, before the lines' own errors
    assert report.counts_by_code["invalid_json"] == 301  # the lines are still judged


@pytest.mark.parametrize(
    "first",
    [b"hello world", b'"a,b"', b"# exported", b'{"input": 1}', b"12,5"],
)
def test_a_first_line_that_is_not_a_csv_header_gets_no_hint(tmp_path: Path, first: bytes) -> None:
    report = run(tmp_path, first + b"\n" + jsonl(good())).report
    assert "csv_not_jsonl" not in report.counts_by_code


def test_a_tab_separated_header_is_csv_too(tmp_path: Path) -> None:
    report = run(tmp_path, b"prompt\tchosen\trejected\nq\ta\tb\n").report
    assert report.counts_by_code["csv_not_jsonl"] == 1


def test_objects_run_together_on_one_line_hint_at_data_binary(tmp_path: Path) -> None:
    """What `curl -d @train.jsonl` sends: the newlines stripped, every object on line 1."""
    report = run(tmp_path, jsonl(good()).replace(b"\n", b"")).report
    [error] = [e for e in report.errors if e.code == "invalid_json"]
    assert error.line == 1 and "--data-binary" in error.message


def test_other_trailing_characters_get_no_curl_hint(tmp_path: Path) -> None:
    report = run(tmp_path, b'{"input": 1} x\n' + jsonl(good())).report
    [error] = [e for e in report.errors if e.code == "invalid_json"]
    assert "trailing characters" in error.message and "curl" not in error.message
