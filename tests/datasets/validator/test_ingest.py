"""ingest_file itself: progress, the stored bytes hashed only when asked, and the dataset-level
findings as a whole file reports them (preference cycles, and where their bound stops them)."""

from __future__ import annotations

import hashlib
import io
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from service.datasets.validator import ingest_file
from service.datasets.validator.dataset import aggregate
from service.datasets.validator.dataset.cycles import PreferenceGraphs
from tests.datasets.helpers import dpo, findings, good, jsonl


def test_progress_reaches_the_file_size(tmp_path: Any) -> None:
    src = tmp_path / "p.jsonl"
    src.write_bytes(jsonl(good(50)))
    for dst in (None, io.BytesIO()):
        seen: list[int] = []
        ingest_file(src, dst, count_tokens=False, progress=seen.append)
        assert seen and seen == sorted(seen) and seen[-1] == src.stat().st_size


def test_stored_bytes_are_hashed_when_written_or_asked_for(tmp_path: Path) -> None:
    src = tmp_path / "h.jsonl"
    src.write_bytes(jsonl(good()))
    data = src.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    out = io.BytesIO()
    written = ingest_file(src, out, count_tokens=False)
    assert (written.sha256, written.bytes, out.getvalue()) == (digest, len(data), data)
    skipped = ingest_file(src, None, count_tokens=False)
    assert (skipped.sha256, skipped.bytes) == ("", 0)
    asked = ingest_file(src, None, count_tokens=False, hash_bytes=True)
    assert (asked.sha256, asked.bytes) == (digest, len(data))


def test_a_file_past_the_bound_says_where_cycle_checks_stop(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(aggregate, "PreferenceGraphs", partial(PreferenceGraphs, max_edges=3))
    rows = [*good(10), dpo(2, pref="A.", nonpref="B."), dpo(2, pref="B.", nonpref="A.")]
    src = tmp_path / "rows.jsonl"
    src.write_bytes(jsonl(rows))
    report = ingest_file(src, None, count_tokens=False).report
    assert findings(report) == [(4, "cycle_limit_reached"), (12, "contradictory_pair")]
    [limit] = [i for i in report.warnings if i.code == "cycle_limit_reached"]
    assert limit.message == "preference cycles are checked among the rows before line 4 only"


def test_the_report_names_the_lines_of_a_cycle(tmp_path: Path) -> None:
    rows = [*good(10), *(dpo(2, pref=p, nonpref=n) for p, n in [("A.", "B."), ("B.", "C.")])]
    src = tmp_path / "rows.jsonl"
    src.write_bytes(jsonl([*rows, dpo(2, pref="C.", nonpref="A.")]))
    [cycle] = ingest_file(src, None, count_tokens=False).report.warnings
    assert (cycle.line, cycle.code) == (13, "preference_cycle")
    assert cycle.message.startswith("lines 11, 12 and 13 state preferences for the same input")
