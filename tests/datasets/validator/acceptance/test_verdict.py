"""Each provider's verdict on a whole file: refused rows by line and path, capped with exact
counts, file-level problems, and the same verdict however many processes read the file."""

from __future__ import annotations

import json
from pathlib import Path

from service.datasets.validator import ingest_file
from service.datasets.validator.report import ProviderProblem
from tests.datasets.validator.acceptance.cases import DPO_EDITS, dpo_row, edited


def _file(tmp: Path, rows: list[dict[str, object]], prefix: bytes = b"") -> Path:
    path = tmp / "data.jsonl"
    path.write_bytes(prefix + b"".join(json.dumps(row).encode() + b"\n" for row in rows))
    return path


def test_a_good_file_is_accepted_everywhere(tmp_path: Path) -> None:
    report = ingest_file(_file(tmp_path, [dpo_row()] * 12), None, count_tokens=False).report
    assert {name: (v.accepted, v.problems_total) for name, v in report.providers.items()} == {
        "openai": (True, 0),
        "azure": (True, 0),
        "together": (True, 0),
    }


def test_two_assistant_messages_in_an_output_are_refused_by_together_and_openai(
    tmp_path: Path,
) -> None:
    rows = [dpo_row() for _ in range(12)]
    rows[6] = edited(rows[6], DPO_EDITS["two_assistant_outputs"])
    providers = ingest_file(_file(tmp_path, rows), None, count_tokens=False).report.providers
    expected = ProviderProblem(
        7, "/non_preferred_output", "must be a list of exactly one assistant message"
    )
    assert providers["together"].problems == [expected]
    assert providers["openai"].problems == [
        ProviderProblem(7, "/non_preferred_output", "must be a list with exactly one message")
    ]
    assert providers["azure"].accepted


def test_problems_are_capped_in_file_order_and_counted_exactly(tmp_path: Path) -> None:
    rows = [edited(dpo_row(), DPO_EDITS["output_content_parts"]) for _ in range(30)]
    report = ingest_file(_file(tmp_path, rows), None, count_tokens=False, cap_per_code=5).report
    verdict = report.providers["together"]
    assert not verdict.accepted and verdict.problems_total == 30
    assert [p.line for p in verdict.problems] == [1, 2, 3, 4, 5]


def test_a_small_file_is_too_small_for_openai_only(tmp_path: Path) -> None:
    report = ingest_file(_file(tmp_path, [dpo_row()] * 3), None, count_tokens=False).report
    assert report.providers["together"].accepted
    openai = report.providers["openai"]
    assert openai.problems == [
        ProviderProblem(None, None, "the file has 3 example(s); openai needs at least 10")
    ]


def test_a_byte_order_mark_is_refused_on_line_1(tmp_path: Path) -> None:
    path = _file(tmp_path, [dpo_row()] * 10, prefix=b"\xef\xbb\xbf")
    for verdict in ingest_file(path, None, count_tokens=False).report.providers.values():
        assert not verdict.accepted and verdict.problems[0].line == 1


def test_verdicts_fold_the_same_from_several_processes(tmp_path: Path) -> None:
    rows = [dpo_row() for _ in range(4000)]
    for n in (17, 2500, 3999):
        rows[n] = edited(rows[n], DPO_EDITS["input_role_tool"])
    path = _file(tmp_path, rows)
    one = ingest_file(path, None, count_tokens=False, workers=1).report.providers
    two = ingest_file(path, None, count_tokens=False, workers=2).report.providers
    assert one == two
    assert [p.line for p in two["together"].problems] == [18, 2501, 4000]
    assert two["openai"].accepted


def test_the_longest_sequence_and_its_line_are_in_the_stats(tmp_path: Path) -> None:
    rows = [dpo_row() for _ in range(10)]
    rows[4]["non_preferred_output"][0]["content"] = "Lyon, " * 200
    stats = ingest_file(_file(tmp_path, rows), None).report.stats
    assert stats.max_sequence_line == 5
    assert stats.max_example_tokens > stats.max_sequence_tokens > 200
