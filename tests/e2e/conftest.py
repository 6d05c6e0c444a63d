"""A running service: emulator, API, a real RQ worker and the scheduler, each its own process."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.cli.keys import create_key
from tests.support.processes import Stack
from tests.support.services import Backing

# Fast clocks: the emulator's phases and our poll/retry intervals are fractions of a second.
FAST = {
    "FTJOBS_POLL_INTERVAL_SECONDS": "0.2",
    "FTJOBS_SCHEDULER_INTERVAL_SECONDS": "0.2",
    "FTJOBS_LEASE_SECONDS": "5",
    "FTJOBS_RETRY_BASE_SECONDS": "0.2",
    "FTJOBS_RETRY_MAX_SECONDS": "2",
    "FTJOBS_EMULATOR_PHASE_SECONDS": "0.6",
    "FTJOBS_OPENAI_API_KEY": "sk-e2e",
    "FTJOBS_LOG_LEVEL": "INFO",
    # The tests poll the API far faster than a client would; the limit has its own tests.
    "FTJOBS_RATE_LIMIT_PER_MINUTE": "0",
    "FTJOBS_CONSOLE_SIGNINS_PER_MINUTE": "0",
}


def stack_env(backing: Backing, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FTJOBS_", "OPENAI_"))}
    return (
        env
        | FAST
        | {
            "FTJOBS_DATABASE_URL": backing.database_url,
            "FTJOBS_REDIS_URL": backing.redis_url,
            "FTJOBS_DATA_DIR": str(tmp_path / "data"),
            "FTJOBS_BLOB_DIR": str(tmp_path / "blobs"),
        }
    )


@pytest.fixture
def stack(clean: Backing, tmp_path: Path) -> Iterator[Stack]:
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Stack(env=stack_env(clean, tmp_path), logs=logs)
    try:
        running.start_emulator()
        running.start_api()
        running.start_workers()
        yield running
    finally:
        running.stop_all()


@pytest.fixture
def api_key(clean: Backing) -> str:
    return asyncio.run(create_key(clean.database_url, "e2e-team", False, None))[1]
