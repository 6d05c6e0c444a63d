"""Chaos run: many jobs through the real service while it is being broken, then the figures.

    .venv/bin/python -m tests.bench.chaos [--jobs 200] [--workers 2] [--fault-rate 0.2]
        [--provider {openai,azure,together}]

Starts an isolated service (its own embedded PostgreSQL and Redis, the emulator with faults on,
the API, N RQ workers, the scheduler), submits the jobs, and meanwhile SIGKILLs a random worker
every few seconds, wipes Redis once and restarts PostgreSQL once. Prints jobs finished / total,
duplicate remote jobs and files at the provider, lost jobs, and the time to recover after each fault
(until some job's row changes again). Loopback only; bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import asyncpg

from tests.support.chaos import Drill, drill, duplicates, statuses
from tests.support.data import dpo_rows, jsonl

TERMINAL = {"succeeded", "failed", "cancelled"}
MODELS = {
    "openai": "gpt-4.1-mini-2025-04-14",
    "azure": "gpt-4.1-mini-2025-04-14",
    "together": "Qwen/Qwen3-8B",
}


def submit(d: Drill, jobs: int, datasets: int, provider: str) -> list[str]:
    ids = []
    with d.api as client:
        dataset_ids = []
        for index in range(datasets):
            response = client.post(
                "/v1/datasets",
                content=jsonl(dpo_rows(10 + index)),
                headers={"Content-Type": "application/jsonl"},
            )
            dataset_ids.append(response.json()["id"])
        for index in range(jobs):
            response = client.post(
                "/v1/jobs",
                json={
                    "training_dataset_id": dataset_ids[index % datasets],
                    "provider": provider,
                    "model": MODELS[provider],
                    "suffix": f"chaos-{index}",
                },
            )
            ids.append(response.json()["id"])
    return ids


async def last_change(url: str) -> datetime | None:
    try:
        connection = await asyncpg.connect(url.replace("postgresql://", "postgres://", 1))
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        value: datetime | None = await connection.fetchval("SELECT max(updated_at) FROM jobs")
        return value
    finally:
        await connection.close()


def recovery_seconds(d: Drill, since: datetime, limit: float = 120) -> float:
    """Seconds from `since` until some job's row changes again."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        changed = asyncio.run(last_change(d.postgres.url()))
        if changed is not None and changed > since:
            return (changed - since).total_seconds()
        time.sleep(0.2)
    return float("inf")


def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    env = {
        "FTJOBS_EMULATOR_PHASE_SECONDS": str(args.phase_seconds),
        # At this scale each RQ job costs a fork: poll at a pace a deployment would (scaled
        # down), so rounds batch many jobs instead of enqueueing a few every tick.
        "FTJOBS_POLL_INTERVAL_SECONDS": str(args.poll_interval),
        "FTJOBS_SCHEDULER_INTERVAL_SECONDS": str(args.poll_interval),
        "FTJOBS_LEASE_SECONDS": str(max(10.0, args.poll_interval * 10)),
        # Slow faults (4 s) are answers past the client's timeout at every provider.
        "FTJOBS_TOGETHER_TIMEOUT_SECONDS": "3",
    }
    with drill(workers=args.workers, **env) as d:
        d.emulator(
            "faults",
            fault_rate=args.fault_rate,
            faults=["429", "500", "503", "slow", "drop"],
            slow_seconds=4,
        )
        started = time.monotonic()
        job_ids = submit(d, args.jobs, max(1, args.jobs // 4), args.provider)
        print(f"submitted {len(job_ids)} jobs in {time.monotonic() - started:.1f}s")
        faults: list[tuple[str, Callable[[], None]]] = [
            ("redis wiped", d.wipe_redis),
            ("postgres restarted (3 s down)", lambda: d.restart_postgres(3)),
        ]
        recoveries = drive(d, job_ids, faults, rng, args)
        report(d, job_ids, recoveries, time.monotonic() - started, args.provider)


def drive(
    d: Drill,
    job_ids: list[str],
    faults: list[tuple[str, Callable[[], None]]],
    rng: random.Random,
    args: argparse.Namespace,
) -> list[tuple[str, float]]:
    recoveries = []
    deadline = time.monotonic() + args.timeout
    next_kill = time.monotonic() + args.kill_every
    while time.monotonic() < deadline:
        now = statuses(d.api, job_ids)
        done = sum(1 for status in now.values() if status in TERMINAL)
        if done == len(job_ids):
            break
        if time.monotonic() >= next_kill:
            name = f"worker{rng.randrange(args.workers)}"
            recoveries.append((f"SIGKILL {name}", timed(d, partial(d.restart_worker, name))))
            next_kill = time.monotonic() + args.kill_every
        elif faults and done >= len(job_ids) * (3 - len(faults)) / 4:
            label, fault = faults.pop(0)
            recoveries.append((label, timed(d, fault)))
        time.sleep(1)
    return recoveries


def timed(d: Drill, fault: Callable[[], None]) -> float:
    fault()
    return recovery_seconds(d, datetime.now(UTC))


def report(
    d: Drill,
    job_ids: list[str],
    recoveries: list[tuple[str, float]],
    elapsed: float,
    provider: str,
) -> None:
    final = statuses(d.api, job_ids)
    finished = sum(1 for status in final.values() if status == "succeeded")
    lost = sum(1 for job_id in job_ids if final.get(job_id) not in TERMINAL)
    extra_jobs, extra_files = duplicates(d, provider)
    state = d.emulator("state")
    injected = state["faults_injected"]
    remote = state.get(provider, state) if provider != "openai" else state
    print(f"remote jobs at {provider}: {remote['jobs']}")
    print(f"\njobs finished (succeeded) / total: {finished}/{len(job_ids)}")
    print(f"duplicate {provider} jobs: {extra_jobs}")
    print(f"duplicate files:       {extra_files}")
    print(f"lost jobs:             {lost}")
    print(f"faults injected by the emulator: {injected}")
    print("time to recover after each fault (until a job row changes again):")
    for label, seconds in recoveries:
        print(f"  {label:32s} {seconds:6.2f} s")
    print(f"total time: {elapsed:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--kill-every", type=float, default=8.0)
    parser.add_argument("--phase-seconds", type=float, default=0.3)
    parser.add_argument("--poll-interval", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--provider", choices=sorted(MODELS), default="openai")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
