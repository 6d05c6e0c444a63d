"""An isolated service for fault drills: its own embedded PostgreSQL and Redis (so a test may stop
the database or wipe Redis without touching anybody else's), the emulator, the API, RQ workers
and the scheduler, each a real process."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from redis import Redis

from service.cli.embedded import EmbeddedPostgres, EmbeddedRedis, start_postgres, start_redis
from service.cli.keys import create_key
from service.db.migrate import upgrade
from tests.support.data import dpo_rows, jsonl
from tests.support.processes import Stack, wait_until

FAST = {
    "FTJOBS_POLL_INTERVAL_SECONDS": "0.3",
    "FTJOBS_SCHEDULER_INTERVAL_SECONDS": "0.3",
    "FTJOBS_LEASE_SECONDS": "4",
    "FTJOBS_RETRY_BASE_SECONDS": "0.2",
    "FTJOBS_RETRY_MAX_SECONDS": "2",
    "FTJOBS_OPENAI_TIMEOUT_SECONDS": "3",
    "FTJOBS_EMULATOR_PHASE_SECONDS": "0.5",
    "FTJOBS_OPENAI_API_KEY": "sk-chaos",
    "FTJOBS_LOG_LEVEL": "INFO",
    # The tests poll the API far faster than a client would; the limit has its own tests.
    "FTJOBS_RATE_LIMIT_PER_MINUTE": "0",
}


@dataclass
class Drill:
    stack: Stack
    postgres: EmbeddedPostgres
    redis: EmbeddedRedis
    key: str

    @property
    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.stack.api_url, timeout=30, headers={"Authorization": f"Bearer {self.key}"}
        )

    def emulator(self, path: str, **body: Any) -> Any:
        url = f"{self.stack.emulator_url}/_emulator/{path}"
        response = httpx.post(url, json=body) if body else httpx.get(url)
        response.raise_for_status()
        return response.json()

    def wipe_redis(self) -> None:
        Redis.from_url(self.redis.url).flushall()

    def restart_postgres(self, down_seconds: float) -> None:
        self.postgres.halt()
        time.sleep(down_seconds)
        self.postgres.resume()

    def restart_worker(self, name: str) -> None:
        self.stack.kill(name)
        self.stack.spawn(name, "worker", "--name", f"{name}-{time.monotonic_ns()}")


@contextmanager
def drill(workers: int = 1, **env: str) -> Iterator[Drill]:
    # Outside pytest's 0700 basetemp: embedded Postgres runs as its own user.
    root = Path(tempfile.mkdtemp(prefix="ftjobs-chaos-"))
    postgres = start_postgres(root / "postgres")
    redis = start_redis(root / "redis")
    (root / "logs").mkdir()
    stack = Stack(env=_env(root, postgres, redis) | env, logs=root / "logs")
    try:
        upgrade(postgres.url())
        key = asyncio.run(create_key(postgres.url(), "chaos", False, None))[1]
        stack.start_emulator()
        stack.start_api()
        for index in range(workers):
            stack.spawn(
                f"worker{index}", "worker", "--name", f"chaos-{index}-{time.monotonic_ns()}"
            )
        stack.spawn("scheduler", "scheduler")
        yield Drill(stack=stack, postgres=postgres, redis=redis, key=key)
    finally:
        stack.stop_all()
        redis.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


def _env(root: Path, postgres: EmbeddedPostgres, redis: EmbeddedRedis) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FTJOBS_", "OPENAI_"))}
    return (
        env
        | FAST
        | {
            "FTJOBS_DATABASE_URL": postgres.url(),
            "FTJOBS_REDIS_URL": redis.url,
            "FTJOBS_DATA_DIR": str(root / "data"),
            "FTJOBS_BLOB_DIR": str(root / "blobs"),
        }
    )


def statuses(client: httpx.Client, job_ids: list[str]) -> dict[str, str]:
    found = {}
    for job_id in job_ids:
        response = client.get(f"/v1/jobs/{job_id}")
        if response.status_code == 200:
            found[job_id] = response.json()["status"]
    return found


def wait_all_terminal(drill_: Drill, job_ids: list[str], timeout: float) -> dict[str, str]:
    terminal = {"succeeded", "failed", "cancelled"}

    def done() -> dict[str, str] | None:
        now = statuses(drill_.api, job_ids)
        return now if len(now) == len(job_ids) and set(now.values()) <= terminal else None

    try:
        result: dict[str, str] = wait_until(
            done, timeout=timeout, what="every job to finish", interval=0.5
        )
    except AssertionError as error:
        raise AssertionError(f"{error}\n{drill_.stack.log_tail()}") from None
    return result


def duplicates(drill_: Drill, provider: str = "openai") -> tuple[int, int]:
    """(extra remote jobs for one of ours, extra fine-tune files for one dataset) at `provider`.
    OpenAI's jobs carry our id in their metadata; Azure's carry none, and one of ours is its
    training file and seed (each job of ours has its own seed, see providers.azure); Together's
    carry our tag in their suffix."""
    full = drill_.emulator("state")
    state = full[provider] if provider in ("azure", "together") else full
    per_job: dict[str, int] = {}
    for job in state["job_list"]:
        if provider == "azure":
            ours = f"{job['training_file']}:{job['seed']}"
        elif provider == "together":  # our tag in the suffix (providers.together_mapping)
            ours = str(job["suffix"]).rsplit("ftj-", 1)[-1]
        else:
            ours = str((job.get("metadata") or {}).get("ftjobs_job_id"))
        per_job[ours] = per_job.get(ours, 0) + 1
    per_file: dict[str, int] = {}
    for item in state["file_list"]:
        if item["purpose"] == "fine-tune":
            per_file[item["filename"]] = per_file.get(item["filename"], 0) + 1
    return (sum(n - 1 for n in per_job.values()), sum(n - 1 for n in per_file.values()))


def submit_jobs(
    drill_: Drill,
    count: int,
    *,
    model: str = "gpt-4.1-mini-2025-04-14",
    provider: str | None = None,
    shared_dataset: bool = False,
) -> list[str]:
    """`count` DPO jobs through the API, each on a dataset of its own (different rows), or all
    on the same rows (`shared_dataset`: one upload to the provider for all of them)."""
    ids = []
    with drill_.api as client:
        for index in range(count):
            rows = dpo_rows(10 if shared_dataset else 10 + index)
            dataset = client.post(
                "/v1/datasets", content=jsonl(rows), headers={"Content-Type": "application/jsonl"}
            )
            assert dataset.status_code in (200, 201), dataset.text
            body = {"training_dataset_id": dataset.json()["id"], "model": model}
            if provider is not None:
                body["provider"] = provider
            job = client.post("/v1/jobs", json=body)
            assert job.status_code == 202, job.text
            ids.append(job.json()["id"])
    return ids
