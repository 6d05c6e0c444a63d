"""`ftjobs dev` on a bare machine: embedded Postgres and Redis, the emulator, API, worker and
scheduler come up; the printed key works; Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.processes import free_port, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Outside pytest's 0700 basetemp: embedded Postgres runs as its own user.
    root = Path(tempfile.mkdtemp(prefix="ftjobs-dev-test-"))
    yield root / "data"
    shutil.rmtree(root, ignore_errors=True)


def test_dev_runs_everything_and_ctrl_c_stops_it(data_dir: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FTJOBS_", "OPENAI_"))}
    env |= {"FTJOBS_DATA_DIR": str(data_dir), "FTJOBS_EMULATOR_PHASE_SECONDS": "0.2"}
    dev = subprocess.Popen(
        [sys.executable, "-m", "service", "dev", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    children: list[psutil.Process] = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(
            lambda: httpx.get(f"{base}/health/ready").is_success,
            timeout=90,
            what="ftjobs dev to be ready",
        )
        key = wait_until(
            lambda: (data_dir / "dev-api-key").read_text().strip(), timeout=10, what="the dev key"
        )
        jobs = httpx.get(f"{base}/v1/jobs", headers={"Authorization": f"Bearer {key}"})
        assert jobs.status_code == 200
        providers = httpx.get(f"{base}/v1/providers", headers={"Authorization": f"Bearer {key}"})
        configured = {p["name"]: p["configured"] for p in providers.json()["data"]}
        assert configured == {"openai": True, "azure": True}  # both pointed at the emulator
        scraper = (data_dir / "dev-metrics-token").read_text().strip()
        scrape = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {scraper}"})
        assert scrape.status_code == 200 and "ftjobs_jobs" in scrape.text
        assert httpx.get(f"{base}/metrics").status_code == 401
        emulator = httpx.get(f"http://127.0.0.1:{port + 1}/_emulator/state")
        assert emulator.status_code == 200
        children = psutil.Process(dev.pid).children(recursive=True)
        assert len(children) >= 4  # emulator, api, worker, scheduler (+ their own children)
    finally:
        dev.send_signal(signal.SIGINT)
        _, stderr = dev.communicate(timeout=60)
    assert key.startswith("ftk_")
    assert b"API key" in stderr
    assert f"Bearer {scraper}' {base}/metrics".encode() in stderr
    _gone, alive = psutil.wait_procs(children, timeout=20)
    assert alive == []
