"""Concurrent uploads against a real API process: its memory and its validation throughput.

    .venv/bin/python -m tests.bench.upload_bench [--mb 100] [--concurrency 1 4 8] [--keep DIR]

Generates a realistic OpenAI DPO file (tests.bench.validate_bench's generator), builds a scratch
database (`ftjobs_upload_…`) on the Postgres server of FTJOBS_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres) and migrates it (Redis: FTJOBS_REDIS_URL, default
redis://127.0.0.1:6379/4), starts `ftjobs api` as its own process with the rate limit off, and
for each concurrency N sends N copies of the file at once to `POST /v1/datasets/validate` (the
whole validation, tokens counted, nothing stored), each from its own thread streaming the file.
While they run it samples, every 0.1 s, the PSS (proportional set size: shared pages split among
the processes sharing them) of the API process and all its descendants (validation workers,
their fork server), and prints for each N: the peak PSS, its rise over the idle API measured just
before, the wall time, the throughput (MB validated per second, all uploads together), and how
many uploads got 503 (the validation queue full). The scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
from sqlalchemy import make_url

from service.cli.embedded import create_database, drop_database
from tests.bench.load_bench import free_port, running
from tests.bench.validate_bench import generate


def pss_of_tree(pid: int) -> int:
    """PSS of a process and every descendant, in bytes (processes that vanish are skipped)."""
    total = 0
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for process in processes:
        try:
            total += process.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


class PeakSampler:
    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, pss_of_tree(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def upload(base: str, key: str, path: Path) -> int:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/jsonl"}
    with path.open("rb") as body:
        response = httpx.post(
            f"{base}/v1/datasets/validate", content=body, headers=headers, timeout=900
        )
    if response.status_code == 200 and not response.json()["valid"]:
        raise RuntimeError(f"the generated file did not validate: {response.text[:500]}")
    return response.status_code


def settle(pid: int, seconds: float = 3.0) -> int:
    """The idle API's PSS, once the previous round's memory has gone back."""
    time.sleep(seconds)
    return pss_of_tree(pid)


def measure(
    base: str, key: str, path: Path, api_pid: int, concurrency: int
) -> dict[str, float | str]:
    idle = settle(api_pid)
    with PeakSampler(api_pid) as sampler, ThreadPoolExecutor(concurrency) as clients:
        began = time.perf_counter()
        statuses = list(clients.map(lambda _: upload(base, key, path), range(concurrency)))
        wall = time.perf_counter() - began
    counts = Counter(statuses)
    validated = counts.get(200, 0) * path.stat().st_size / 1e6
    return {
        "idle": idle / 2**20,
        "peak": sampler.peak / 2**20,
        "rise": (sampler.peak - idle) / 2**20,
        "wall": wall,
        "mbps": validated / wall,
        "statuses": ", ".join(f"{n}x{status}" for status, n in sorted(counts.items())),
    }


def run(args: argparse.Namespace, tmp: Path) -> None:
    path = tmp / f"dpo_{args.mb}mb.jsonl"
    if not path.exists():
        generate(path, args.mb)
    server = (
        os.environ.get("FTJOBS_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    redis_url = os.environ.get("FTJOBS_REDIS_URL") or "redis://127.0.0.1:6379/4"
    name = f"ftjobs_upload_{uuid.uuid4().hex[:8]}"
    asyncio.run(create_database(server, name))
    database_url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        from service.cli.keys import create_key
        from service.db.migrate import upgrade

        upgrade(database_url)
        _, key = asyncio.run(create_key(database_url, "bench", False, "upload bench"))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FTJOBS_")} | {
            "FTJOBS_DATABASE_URL": database_url,
            "FTJOBS_REDIS_URL": redis_url,
            "FTJOBS_BLOB_DIR": str(tmp / "blobs"),
            "FTJOBS_LOG_LEVEL": "WARNING",
            "FTJOBS_RATE_LIMIT_PER_MINUTE": "0",
            **dict(item.split("=", 1) for item in args.env),
        }
        command = [sys.executable, "-m", "service", "api", "--host", "127.0.0.1", "--port",
                   str(port)]  # fmt: skip
        with running(command, env, f"{base}/health/live", tmp / "api.log") as process:
            rows = []
            for concurrency in args.concurrency:
                rows.append((concurrency, measure(base, key, path, process.pid, concurrency)))
        report(path, rows)
    finally:
        asyncio.run(drop_database(server, name))


def report(path: Path, rows: list[tuple[int, dict[str, float | str]]]) -> None:
    size = path.stat().st_size / 1e6
    print(f"\n{path.name}: {size:,.0f} MB per upload, {len(os.sched_getaffinity(0))} core(s)")
    print(
        f"{'uploads':>7} {'idle PSS':>9} {'peak PSS':>9} {'rise':>8} {'wall s':>7} "
        f"{'MB/s':>7}  statuses"
    )
    for concurrency, r in rows:
        print(
            f"{concurrency:7} {r['idle']:8.0f}M {r['peak']:8.0f}M {r['rise']:7.0f}M "
            f"{r['wall']:7.1f} {r['mbps']:7.1f}  {r['statuses']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="size of the uploaded file")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--keep", type=Path, help="reuse / keep the generated file in this dir")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="for the API process"
    )
    args = parser.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args, args.keep)
        return
    tmp = Path(tempfile.mkdtemp(prefix="ftjobs-upload-bench-"))
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
