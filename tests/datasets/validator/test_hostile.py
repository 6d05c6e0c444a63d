"""Hostile input: a clear report, bounded memory, never a crash.

Memory is measured with tracemalloc in this process (workers=1), which sees every buffer the
reader and the validator allocate; the process-pool path is exercised on the same inputs.
"""

from __future__ import annotations

import json
import random
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from service.datasets.validator import IngestResult, SourceFormat, ingest_file
from tests.datasets.helpers import dpo, findings, jsonl

MB = 1 << 20


def peak_traced(fn: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def gigabyte_line(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """1 GiB, one line, no newline: a JSON prefix, then a sparse (instant) hole of zeros."""
    path = tmp_path_factory.mktemp("huge") / "one_line.jsonl"
    with path.open("wb") as f:
        f.write(b'{"input": {"messages": [{"role": "user", "content": "')
        f.truncate(1 << 30)
    yield path
    path.unlink()


def test_one_gigabyte_line_is_reported_in_bounded_memory(gigabyte_line: Path) -> None:
    result, peak = peak_traced(
        lambda: ingest_file(gigabyte_line, None, count_tokens=False, workers=1)
    )
    assert isinstance(result, IngestResult)
    assert findings(result.report) == [
        (None, "too_few_examples"),
        (1, "line_too_long"),
        (1, "missing_final_newline"),
    ]
    assert "1,073,741,824 bytes" in result.report.errors[1].message
    assert peak < 40 * MB


def test_one_gigabyte_line_through_auto_conversion(gigabyte_line: Path) -> None:
    result, peak = peak_traced(lambda: ingest_file(gigabyte_line, None, fmt="auto", workers=1))
    assert not result.report.valid
    assert result.report.counts_by_code == {"unknown_format": 1, "row_not_converted": 1}
    assert peak < 40 * MB


def test_deep_nesting_in_every_reader(tmp_path: Path) -> None:
    deep = '{"chosen": ' + "[" * 10_000 + "]" * 10_000 + ', "rejected": "x"}'
    src = tmp_path / "deep.jsonl"
    src.write_text(deep + "\n")
    assert findings(ingest_file(src, None).report) == [
        (None, "too_few_examples"),
        (1, "nesting_too_deep"),
    ]
    array = tmp_path / "deep.json"
    array.write_text("[" + deep + ", " + "[" * 100_000 + "]" * 100_000 + "]")
    result = ingest_file(array, None, fmt="auto")
    assert result.conversion is not None
    assert "nested deeper" in result.conversion.dropped[0].message


def _error_lines(target: int) -> Iterator[bytes]:
    """~1 KB lines, each wrong in one of four ways, cycling."""
    filler = "x" * 900
    kinds = [
        json.dumps(dpo(0, pref=filler, nonpref=filler)).encode(),  # identical outputs
        b'{"input": {"messages": [' + filler.encode() + b"]}}",  # invalid JSON
        json.dumps({"input": {"messages": []}, "preferred_output": filler}).encode(),
        json.dumps({"prompt": filler, "chosen": "a", "rejected": "b"}).encode(),
    ]
    size, i = 0, 0
    while size < target:
        line = kinds[i % 4] + b"\n"
        size += len(line)
        i += 1
        yield line


def test_hundred_megabytes_of_errors(tmp_path: Path) -> None:
    src = tmp_path / "errors.jsonl"
    with src.open("wb") as f:
        f.writelines(_error_lines(100 * MB))
    lines = sum(1 for _ in src.open("rb"))
    result, peak = peak_traced(lambda: ingest_file(src, None, count_tokens=False, workers=1))
    report = result.report
    per_kind = [len(range(k, lines, 4)) for k in range(4)]
    assert report.counts_by_code == {
        "identical_outputs": per_kind[0],
        "duplicate_row": per_kind[0] - 1,
        "invalid_json": per_kind[1],
        "empty_messages": per_kind[2],
        "wrong_type": per_kind[2],
        "missing_field": per_kind[2],
        "foreign_format": per_kind[3],
    }
    assert report.errors_total == sum(per_kind) + 2 * per_kind[2]
    assert len(report.errors) == 6 * report.cap_per_code
    assert len(report.warnings) == report.cap_per_code
    assert len(msgspec.json.encode(report)) < 64 * 1024
    assert peak < 40 * MB
    pooled = ingest_file(src, None, count_tokens=False, workers=2).report
    assert pooled == report


def test_binary_garbage(tmp_path: Path) -> None:
    src = tmp_path / "garbage.bin"
    src.write_bytes(random.Random(7).randbytes(4 * MB))
    formats: tuple[SourceFormat, ...] = ("openai", "auto")
    for fmt in formats:
        report = ingest_file(src, None, fmt=fmt).report
        assert not report.valid
        assert report.errors_total > 0
        msgspec.json.encode(report)  # JSON-ready, whatever the bytes were


def test_garbage_inside_good_rows_names_the_lines(tmp_path: Path) -> None:
    rows: list[Any] = [dpo(i) for i in range(12)]
    rows[3] = random.Random(1).randbytes(200).replace(b"\n", b"")
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(jsonl(rows))
    report = ingest_file(src, None).report
    assert {i.line for i in report.errors} == {4}
    assert report.errors[0].code in ("invalid_utf8", "invalid_json")
