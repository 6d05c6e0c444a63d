"""Polling at scale: provider calls per active job per poll round, and the refresh lag.

    .venv/bin/python -m tests.bench.poll_bench [--jobs 1000 10000] [--rounds 3]
        [--provider {openai,azure,together}]

For each size: the emulator (its own process, every job kept running) holds N jobs created
through the provider's adapter and its real SDK; the database holds our N rows pointing at
them; then poll rounds run exactly as a worker runs them (`service.jobs.polling.poll_batch` over
the scheduler's batches) and the script prints, per round, the provider requests the emulator
counted divided by N, and the wall time for the round to refresh every row (the refresh lag).
Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from service.blobstore import BlobStore
from service.cli.embedded import create_database, start_postgres
from service.db.engine import create_engine, session_factory
from service.db.migrate import upgrade
from service.db.models import Job
from service.ids import new_id
from service.jobs import polling
from service.jobs.reconcile import POLL_BATCH
from service.jobs.runtime import Runtime
from service.jobs.timing import Timing
from service.providers.azure import AzureOpenAIProvider
from service.providers.base import FineTuningProvider, JobSpec
from service.providers.openai import OpenAIProvider
from service.providers.together import TogetherProvider
from service.wiring import JOB_HOOKS
from tests.support.data import dpo_rows, jsonl
from tests.support.processes import free_port, wait_until
from tests.support.records import ready_dataset


def start_emulator() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service.emulators",
            "--port",
            str(port),
            "--phase-seconds",
            "0.2",
            "--max-running-per-model",
            "1000000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(
        lambda: httpx.get(f"{url}/_emulator/state").is_success, timeout=20, what="the emulator"
    )
    httpx.post(f"{url}/_emulator/faults", json={"run_seconds": 3600}).raise_for_status()
    return process, url


MODELS = {
    "openai": "gpt-4.1-mini-2025-04-14",
    "azure": "gpt-4.1-mini-2025-04-14",
    "together": "Qwen/Qwen3-8B",
}


def make_provider(name: str, base_url: str) -> FineTuningProvider:
    """The provider's adapter at the emulator, as a worker builds it from settings."""
    if name == "azure":
        return AzureOpenAIProvider(
            endpoint=base_url, api_key="azure-emulator-key", token_provider=None, timeout=60
        )
    if name == "together":
        return TogetherProvider(
            api_key="together-emulator-key", base_url=f"{base_url}/together", timeout=60
        )
    return OpenAIProvider(api_key="sk-bench", base_url=f"{base_url}/v1", timeout=60)


async def create_remote_jobs(name: str, base_url: str, count: int) -> list[str]:
    provider = make_provider(name, base_url)
    body = jsonl(dpo_rows(12))
    with tempfile.TemporaryFile() as stream:
        stream.write(body)
        stream.seek(0)
        file_id = await provider.upload_file("bench.jsonl", stream, len(body))
    limit = asyncio.Semaphore(32)

    async def one(index: int) -> str:
        spec = JobSpec(
            our_id=f"bench-{index}",
            model=MODELS[name],
            training_file=file_id,
            method="dpo",
            hyperparameters={"beta": 0.1},
            metadata={},
        )
        async with limit:
            return (await provider.create_job(spec)).id

    ids = await asyncio.gather(*(one(i) for i in range(count)))
    await provider.close()
    return list(ids)


async def insert_rows(name: str, database_url: str, remote_ids: list[str]) -> list[str]:
    engine = create_engine(database_url, pooled=False)
    dataset = ready_dataset(team="bench", examples=12)
    dataset_id = dataset.id
    ids = [new_id("job") for _ in remote_ids]
    async with session_factory(engine).begin() as session:
        session.add(dataset)
        await session.flush()
        await session.execute(
            insert(Job),
            [
                _row(name, job_id, remote_id, dataset_id)
                for job_id, remote_id in zip(ids, remote_ids, strict=True)
            ],
        )
    await engine.dispose()
    return ids


def _row(name: str, job_id: str, remote_id: str, dataset_id: str) -> dict[str, Any]:
    return {
        "id": job_id,
        "team": "bench",
        "status": "validating_files",
        "method": "dpo",
        "provider": name,
        "model": MODELS[name],
        "training_dataset_id": dataset_id,
        "hyperparameters": {},
        "job_metadata": {},
        "provider_job_id": remote_id,
        "wake_at": datetime.now(UTC),
        "attempts": 0,
        "event_seq": 0,
    }


async def rounds(
    name: str, database_url: str, base_url: str, ids: list[str], count: int, root: Path
) -> list[tuple[float, float]]:
    engine = create_engine(database_url, pool_size=polling.CONCURRENCY // 2)  # as a worker's
    provider = make_provider(name, base_url)
    rt = Runtime(
        engine=engine,
        sessions=session_factory(engine),
        providers={name: provider},
        blobs=BlobStore(root),
        timing=Timing(15, 120, 2, 300),
        hooks=JOB_HOOKS,
    )
    figures = []
    for number in range(count):
        before = requests_made(base_url)
        started = time.perf_counter()
        for start in range(0, len(ids), POLL_BATCH):
            await polling.poll_batch(rt, ids[start : start + POLL_BATCH], round_number=number)
        lag = time.perf_counter() - started
        figures.append(((requests_made(base_url) - before) / len(ids), lag))
    await provider.close()
    await engine.dispose()
    return figures


def requests_made(base_url: str) -> int:
    state = httpx.get(f"{base_url}/_emulator/state", timeout=60).json()
    return sum(count for key, count in state["requests"].items() if " /_emulator" not in key)


def bench(name: str, size: int, database_url: str, root: Path, count: int) -> None:
    emulator, base_url = start_emulator()
    try:
        created = time.perf_counter()
        remote_ids = asyncio.run(create_remote_jobs(name, base_url, size))
        print(
            f"\n{size} active jobs (created at the emulator in "
            f"{time.perf_counter() - created:.1f}s)"
        )
        ids = asyncio.run(insert_rows(name, database_url, remote_ids))
        time.sleep(1)  # every job past validating and queued: running
        for number, (per_job, lag) in enumerate(
            asyncio.run(rounds(name, database_url, base_url, ids, count, root)), start=1
        ):
            print(f"  round {number}: {per_job:.3f} {name} calls per job, refresh lag {lag:.1f}s")
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--provider", choices=sorted(MODELS), default="openai")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ftjobs-pollbench-"))
    postgres = start_postgres(root / "postgres")
    try:
        for size in args.jobs:
            database = f"bench_{size}"
            asyncio.run(create_database(postgres.url("postgres"), database))
            upgrade(postgres.url(database))
            bench(args.provider, size, postgres.url(database), root, args.rounds)
    finally:
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
