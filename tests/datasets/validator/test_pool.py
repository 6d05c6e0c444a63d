"""The pool: how many workers a file gets, byte ranges that cover it and shrink at the end, and
workers forked with the tokenizer from a parent that then gives its copy back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.datasets.validator.pool import (
    POOL_THRESHOLD_BYTES,
    RANGE_BYTES,
    TAIL_RANGE_BYTES,
    split_ranges,
    worker_count,
)
from tests.datasets.helpers import good, jsonl

# In a fresh interpreter: the fork pool is only used by a process with one thread.
CHECK_RELEASE = """
import sys
from pathlib import Path
from service.datasets.validator import ingest_file, tokens

result = ingest_file(Path(sys.argv[1]), None, workers=2)
print(result.report.valid, result.report.stats.total_tokens > 0)
print(tokens._COUNTER is None, tokens.encoding.cache_info().currsize)
"""


def test_the_parent_of_forked_workers_lets_its_tokenizer_go(tmp_path: Path) -> None:
    src = tmp_path / "rows.jsonl"
    src.write_bytes(jsonl(good(12)))
    out = subprocess.run(
        [sys.executable, "-c", CHECK_RELEASE, str(src)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Tokens were counted (by the workers), and the parent holds no tokenizer afterwards.
    assert out.stdout.split() == ["True", "True", "True", "0"], out.stderr


@pytest.mark.parametrize("workers", [1, 2, 8])
@pytest.mark.parametrize("size", [0, 1, RANGE_BYTES, 3 * RANGE_BYTES + 5, 40 * RANGE_BYTES + 1])
def test_ranges_cover_the_file_and_shrink_at_the_end(size: int, workers: int) -> None:
    ranges = split_ranges(size, workers)
    starts, ends = [a for a, _ in ranges], [b for _, b in ranges]
    assert starts == [0, *ends[:-1]][: len(starts)] and ends[-1:] == ([size] if size else [])
    assert all(b - a <= RANGE_BYTES for a, b in ranges)
    if workers > 1 and size > 2 * workers * RANGE_BYTES:
        assert all(b - a <= TAIL_RANGE_BYTES for a, b in ranges[-2 * workers :])


def test_small_files_run_inline_unless_workers_are_asked_for() -> None:
    assert worker_count(POOL_THRESHOLD_BYTES - 1, None) == 1
    assert worker_count(POOL_THRESHOLD_BYTES, None) == len(os.sched_getaffinity(0))
    assert worker_count(0, 3) == 3
    assert worker_count(10**9, 0) == 1
