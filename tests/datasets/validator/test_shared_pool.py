"""One pool for every validation of a long-lived process: concurrent validations share its
workers, a worker that dies takes down only the validations it was serving (the pool is
replaced), and closing it stops its processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec
import psutil
import pytest

from service.datasets.validator import PoolUnavailable, SharedPool, ingest_file
from service.datasets.validator.pool import RANGE_BYTES
from tests.datasets.helpers import good, jsonl
from tests.support.processes import validation_workers


@pytest.fixture
def pool() -> Iterator[SharedPool]:
    shared = SharedPool(2)
    yield shared
    shared.close()


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """Three byte ranges' worth of rows: a validation with several tasks in flight."""
    rows = jsonl(good(12))
    src = tmp_path / "big.jsonl"
    src.write_bytes(rows * (3 * RANGE_BYTES // len(rows) + 1))
    return src


def report(path: Path, pool: SharedPool | None) -> object:
    return msgspec.to_builtins(ingest_file(path, None, shared=pool).report)


def test_concurrent_validations_share_one_pool(pool: SharedPool, big: Path) -> None:
    alone = report(big, None)  # this process's own pool (or inline): the reference
    with ThreadPoolExecutor(4) as uploads:
        shared = list(uploads.map(lambda _: report(big, pool), range(4)))
    assert shared == [alone] * 4
    assert pool.started == 1
    workers = validation_workers()
    assert 1 <= len(workers) <= pool.workers == 2


def test_small_files_go_to_the_pool_too(pool: SharedPool, tmp_path: Path) -> None:
    src = tmp_path / "small.jsonl"
    src.write_bytes(jsonl(good(12)))
    assert report(src, pool) == report(src, None)
    assert pool.started == 1 and validation_workers()


def test_a_worker_that_dies_does_not_wedge_the_pool(pool: SharedPool, big: Path) -> None:
    with pytest.raises(PoolUnavailable, match="stopped"), pool.borrow() as executor:
        executor.submit(os._exit, 1).result()  # as a worker killed by the OOM killer
    assert report(big, pool) == report(big, None)  # on a new pool
    assert pool.started == 2


def test_close_stops_the_workers_and_refuses_more(pool: SharedPool, big: Path) -> None:
    report(big, pool)
    workers = validation_workers()
    assert workers
    pool.close()
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert alive == []
    with pytest.raises(PoolUnavailable, match="shut down"):
        report(big, pool)


# In a fresh interpreter: a process that validates on a shared pool loads no tokenizer itself
# (its workers count the tokens, with the copy their fork server loaded).
NO_TOKENIZER_HERE = """
import sys
from pathlib import Path
from service.datasets.validator import SharedPool, ingest_file, tokens

pool = SharedPool(2)
result = ingest_file(Path(sys.argv[1]), None, shared=pool)
pool.close()
print(result.report.valid, result.report.stats.total_tokens > 0, tokens._COUNTER is None)
"""


def test_the_process_that_shares_a_pool_keeps_no_tokenizer(tmp_path: Path) -> None:
    src = tmp_path / "rows.jsonl"
    src.write_bytes(jsonl(good(12)))
    out = subprocess.run(
        [sys.executable, "-c", NO_TOKENIZER_HERE, str(src)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.split() == ["True", "True", "True"], out.stderr


def test_warm_starts_the_fork_server_without_workers(pool: SharedPool) -> None:
    pool.warm()
    servers = [
        child for child in psutil.Process().children() if "forkserver" in " ".join(child.cmdline())
    ]
    assert len(servers) == 1
    assert pool.started == 0  # workers start with the first validation


def test_a_workers_sigint_is_left_to_the_api_process(pool: SharedPool, big: Path) -> None:
    """Ctrl-C reaches the whole process group: a worker ignores it (no KeyboardInterrupt
    mid-upload); the API process closes the pool."""
    report(big, pool)
    for worker in validation_workers():
        worker.send_signal(signal.SIGINT)
    assert report(big, pool) == report(big, None)
    assert pool.started == 1  # the same pool: no worker died of it
