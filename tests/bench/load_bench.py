"""Read throughput of the API on 1,000,000 jobs, beside a floor measured in the same run.

    .venv/bin/python -m tests.bench.load_bench [--jobs 1000000] [--seconds 10] [--connections 32]
                                               [--keep]

Builds a scratch database (`ftjobs_bench_…`) on the Postgres server of FTJOBS_DATABASE_URL
(default postgresql://postgres@127.0.0.1:5432/postgres), migrates it and COPYs in the jobs: ten
teams, the benchmark's key owns 10 % of them, statuses spread as in a busy service. Redis: the
server of FTJOBS_REDIS_URL (default redis://127.0.0.1:6379/15). Then starts, each as its own
process on 127.0.0.1:

- `ftjobs api` (uvicorn, one process; the rate limiter on, with a limit it never reaches; the
  key cache as configured by default, or `--auth-cache-seconds`);
- the floor: a bare Litestar route reading one row with raw asyncpg, on uvicorn the same way;

and loads each in turn from a separate process (wrk when installed, else an asyncio + httpx
generator), each run bounded by --seconds (and the generator also by a request count), after a
warm-up: `GET /v1/jobs/{id}` over 1,000 ids and `GET /v1/jobs?status=running` (page 1 and a
cursor 90 % deep), both with auth. Prints req/s, p50 and p99, and the targets: the single-job
read at >= 0.6x the floor's req/s with p99 <= 50 ms. The scratch database is dropped at the end
unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import make_url
from ulid import ULID

from service.cli.embedded import create_database, drop_database

TEAMS = ["bench", *(f"team-{i}" for i in range(1, 10))]
STATUSES = [
    ("succeeded", 55),
    ("failed", 8),
    ("cancelled", 4),
    ("running", 15),
    ("queued", 6),
    ("validating_files", 3),
    ("pending", 5),
    ("paused", 2),
    ("cancelling", 2),
]
TERMINAL = {"succeeded", "failed", "cancelled"}
JOB_COLUMNS = [
    "id", "team", "status", "method", "model", "training_dataset_id", "hyperparameters",
    "metadata", "created_at", "updated_at", "finished_at", "wake_at", "attempts", "event_seq",
]  # fmt: skip


def as_dsn(url: str) -> str:
    return url.replace("postgresql://", "postgres://", 1)


async def load(database_url: str, count: int) -> None:
    """COPYs `count` jobs in id (= creation) order over the last 90 days."""
    rng = random.Random(7)
    connection = await asyncpg.connect(as_dsn(database_url))
    try:
        datasets = {team: await _dataset(connection, team) for team in TEAMS}
        statuses = [name for name, weight in STATUSES for _ in range(weight)]
        start = datetime.now(UTC) - timedelta(days=90)
        step = timedelta(days=90) / count
        batch: list[tuple[Any, ...]] = []
        for i in range(count):
            created = start + step * i
            team, status = TEAMS[i % len(TEAMS)], rng.choice(statuses)
            finished = created + timedelta(minutes=rng.randint(5, 600))
            done = status in TERMINAL
            batch.append(
                (
                    f"job_{ULID.from_datetime(created)}", team, status, "dpo",
                    "gpt-4.1-mini-2025-04-14", datasets[team], "{}", '{"source": "bench"}',
                    created, finished if done else created, finished if done else None,
                    None if done else created + timedelta(hours=1), 0, 1,
                )
            )  # fmt: skip
            if len(batch) == 100_000:
                await connection.copy_records_to_table("jobs", records=batch, columns=JOB_COLUMNS)
                batch = []
        if batch:
            await connection.copy_records_to_table("jobs", records=batch, columns=JOB_COLUMNS)
        await connection.execute("VACUUM ANALYZE jobs")
    finally:
        await connection.close()


async def _dataset(connection: asyncpg.Connection, team: str) -> str:
    dataset_id = f"ds_{ULID()}"
    await connection.execute(
        "INSERT INTO datasets (id, team, name, kind, source_format, status, bytes, sha256, "
        "examples, blob_key, report) VALUES ($1, $2, 'bench', 'dpo', 'openai', 'ready', 1, "
        "$3, 1, 'none', '{}')",
        dataset_id,
        team,
        uuid.uuid4().hex * 2,
    )
    return dataset_id


async def targets(database_url: str) -> tuple[list[str], str]:
    """1,000 of the bench team's job ids, and a cursor 90 % deep into its running jobs."""
    connection = await asyncpg.connect(as_dsn(database_url))
    try:
        rows = await connection.fetch(
            "SELECT id FROM jobs WHERE team = 'bench' ORDER BY random() LIMIT 1000"
        )
        running = await connection.fetchval(
            "SELECT count(*) FROM jobs WHERE team = 'bench' AND status = 'running'"
        )
        deep = await connection.fetchval(
            "SELECT id FROM jobs WHERE team = 'bench' AND status = 'running' "
            "ORDER BY id DESC OFFSET $1 LIMIT 1",
            int(running * 0.9),
        )
    finally:
        await connection.close()
    return [row["id"] for row in rows], str(deep)


# --- the floor: one route, raw asyncpg -------------------------------------------------------


def floor_app(database_url: str) -> Any:
    from litestar import Litestar, get
    from litestar.datastructures import State

    async def start(app: Litestar) -> None:
        app.state.pool = await asyncpg.create_pool(as_dsn(database_url), min_size=10, max_size=20)

    @get("/health")
    async def health() -> str:
        return "ok"

    @get("/jobs/{job_id:str}")
    async def read_job(state: State, job_id: str) -> dict[str, Any]:
        row = await state.pool.fetchrow("SELECT * FROM jobs WHERE id = $1", job_id)
        return dict(row)

    return Litestar([health, read_job], on_startup=[start], logging_config=None)


def serve_floor(database_url: str, port: int) -> None:
    import uvicorn

    uvicorn.run(floor_app(database_url), host="127.0.0.1", port=port, log_level="warning")


# --- processes ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(
    command: list[str], env: dict[str, str], health: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(health, timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                raise RuntimeError(f"{command} did not start:\n{log.read_text()[-2000:]}")
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


# --- load --------------------------------------------------------------------------------


def measure(
    base: str, paths: list[str], headers: dict[str, str], args: argparse.Namespace, work: Path
) -> dict[str, float]:
    measure_once(base, paths, headers, args, work, seconds=2)  # warm-up: pools, caches
    return measure_once(base, paths, headers, args, work, seconds=args.seconds)


def measure_once(
    base: str,
    paths: list[str],
    headers: dict[str, str],
    args: argparse.Namespace,
    work: Path,
    seconds: float,
) -> dict[str, float]:
    if shutil.which("wrk") and not args.python_load:
        return wrk(base, paths, headers, args.connections, seconds, work)
    command = [
        sys.executable, "-m", "tests.bench.load_bench", "--generate", base,
        "--connections", str(args.connections), "--seconds", str(seconds),
        "--paths", json.dumps(paths), "--headers", json.dumps(headers),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=300)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def wrk(
    base: str,
    paths: list[str],
    headers: dict[str, str],
    connections: int,
    seconds: float,
    work: Path,
) -> dict[str, float]:
    script = work / "paths.lua"
    script.write_text(
        "local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
        "request = function() return wrk.format('GET', paths[math.random(#paths)]) end\n"
    )
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{round(seconds)}s",
        "--latency",
        "-s",
        str(script),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        [*command, base], capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    return parse_wrk(done.stdout)


def parse_wrk(output: str) -> dict[str, float]:
    def latency(percent: str) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if found is None:
            raise RuntimeError(f"unexpected wrk output:\n{output}")
        return float(found[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found[2]]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": float(rps[1]) if rps else 0.0,
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": float(bad[1] if bad else 0)
        + sum(float(n) for n in (errors.groups() if errors else ())),
    }


async def generate(
    base: str, paths: list[str], headers: dict[str, str], connections: int, seconds: float
) -> dict[str, float]:
    """The fallback load generator: `connections` keep-alive clients for `seconds` (and at most
    200,000 requests), latencies from the client's side."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < deadline and len(latencies) < 200_000:
                started = time.perf_counter()
                response = await client.get(random.choice(paths))
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "errors": float(errors),
    }


# --- the run -----------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    server = (
        os.environ.get("FTJOBS_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    redis_url = os.environ.get("FTJOBS_REDIS_URL") or "redis://127.0.0.1:6379/15"
    if args.reuse:
        from service.cli.keys import create_key

        _, key = asyncio.run(create_key(args.reuse, "bench", False, "load bench"))
        ids, deep = asyncio.run(targets(args.reuse))
        work = Path(tempfile.mkdtemp(prefix="ftjobs-bench-"))
        measure_all(args, args.reuse, redis_url, key, ids, deep, work)
        return
    name = f"ftjobs_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(create_database(server, name))
    database_url = make_url(server).set(database=name).render_as_string(hide_password=False)
    work = Path(tempfile.mkdtemp(prefix="ftjobs-bench-"))
    try:
        from service.cli.keys import create_key
        from service.db.migrate import upgrade

        upgrade(database_url)
        began = time.monotonic()
        asyncio.run(load(database_url, args.jobs))
        print(f"loaded {args.jobs:,} jobs in {time.monotonic() - began:.1f} s ({name})")
        _, key = asyncio.run(create_key(database_url, "bench", False, "load bench"))
        ids, deep = asyncio.run(targets(database_url))
        measure_all(args, database_url, redis_url, key, ids, deep, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if args.keep:
            print(f"kept {database_url}")
        else:
            asyncio.run(drop_database(server, name))


def measure_all(
    args: argparse.Namespace,
    database_url: str,
    redis_url: str,
    key: str,
    ids: list[str],
    deep: str,
    work: Path,
) -> None:
    api_port, floor_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FTJOBS_")} | {
        "FTJOBS_DATABASE_URL": database_url,
        "FTJOBS_REDIS_URL": redis_url,
        "FTJOBS_BLOB_DIR": str(work / "blobs"),
        "FTJOBS_LOG_LEVEL": "WARNING",
        "FTJOBS_RATE_LIMIT_PER_MINUTE": "1000000000",
    }
    if args.auth_cache_seconds is not None:  # else the service's default
        env["FTJOBS_AUTH_CACHE_SECONDS"] = str(args.auth_cache_seconds)
    api = [sys.executable, "-m", "service", "api", "--host", "127.0.0.1", "--port", str(api_port)]
    floor = [sys.executable, "-m", "tests.bench.load_bench", "--floor", str(floor_port),
             "--database-url", database_url]  # fmt: skip
    api_base, floor_base = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{floor_port}"
    auth = {"Authorization": f"Bearer {key}"}
    with (
        running(api, env, f"{api_base}/health/live", work / "api.log"),
        running(floor, env, f"{floor_base}/health", work / "floor.log"),
    ):
        check = httpx.get(f"{api_base}/v1/jobs/{ids[0]}", headers=auth)
        assert check.status_code == 200, check.text
        plan = [
            ("floor  GET /jobs/{id} (asyncpg)", floor_base, [f"/jobs/{i}" for i in ids], {}),
            ("api    GET /v1/jobs/{id}", api_base, [f"/v1/jobs/{i}" for i in ids], auth),
            ("api    GET /v1/jobs?status=running", api_base, ["/v1/jobs?status=running"], auth),
            (
                "api    ... &cursor=<90% deep>",
                api_base,
                [f"/v1/jobs?status=running&cursor={deep}"],
                auth,
            ),
        ]
        rows = [
            (label, measure(base, paths, headers, args, work))
            for label, base, paths, headers in plan
        ]
    report(rows, args)


def report(rows: list[tuple[str, dict[str, float]]], args: argparse.Namespace) -> None:
    load = "wrk" if shutil.which("wrk") and not args.python_load else "python"
    print(f"\n{args.jobs:,} jobs, {args.connections} connections, {args.seconds:g} s each ({load})")
    print(f"{'target':40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for label, result in rows:
        print(
            f"{label:40} {result['rps']:9.0f} {result['p50']:8.2f} {result['p99']:8.2f} "
            f"{result['errors']:7.0f}"
        )
    floor, single = rows[0][1], rows[1][1]
    ratio = single["rps"] / floor["rps"]
    print(
        f"\nsingle-job read: {ratio:.2f}x the floor's req/s (target >= 0.6: "
        f"{'met' if ratio >= 0.6 else 'MISSED'}), p99 {single['p99']:.1f} ms (target <= 50: "
        f"{'met' if single['p99'] <= 50 else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--auth-cache-seconds", type=float, help="0 turns the key cache off")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", metavar="DATABASE_URL", help="a database kept by --keep")
    parser.add_argument("--python-load", action="store_true", help="load with httpx, not wrk")
    parser.add_argument("--floor", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    parser.add_argument("--paths", help=argparse.SUPPRESS)
    parser.add_argument("--headers", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        serve_floor(args.database_url, args.floor)
    elif args.generate:
        paths, headers = json.loads(args.paths), json.loads(args.headers)
        result = asyncio.run(
            generate(args.generate, paths, headers, args.connections, args.seconds)
        )
        print(json.dumps(result))
    else:
        run(args)


if __name__ == "__main__":
    main()
