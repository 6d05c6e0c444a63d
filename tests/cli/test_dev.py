"""`ftjobs dev` on a bare machine: embedded Postgres and Redis, the emulator, API, worker and
scheduler come up; the printed key works; SIGINT, SIGTERM and SIGHUP stop every process it
started, whatever signal dispositions it inherited.

Every test kills what is left in a `finally` (dev's process group, its children and the
daemonized Postgres and Redis of its data directory), so that a failing test leaves nothing
running."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest

from service.cli.dev import webhook_networks
from tests.support.processes import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Outside pytest's 0700 basetemp: embedded Postgres runs as its own user.
    root = Path(tempfile.mkdtemp(prefix="ftjobs-dev-test-"))
    yield root / "data"
    shutil.rmtree(root, ignore_errors=True)


@dataclass
class Dev:
    process: subprocess.Popen[bytes]
    data_dir: Path
    port: int
    stderr: Path
    children: list[psutil.Process] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> str:
        try:
            wait_until(self._ready, timeout=90, what="ftjobs dev to be ready")
        except AssertionError as error:
            raise AssertionError(
                f"{error}\n--- ftjobs dev said:\n{self.output()[-4000:]}"
            ) from None
        key: str = wait_until(
            lambda: (self.data_dir / "dev-api-key").read_text().strip(),
            timeout=10,
            what="the dev key",
        )
        self.children = psutil.Process(self.process.pid).children(recursive=True)
        return key

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"ftjobs dev exited with {self.process.returncode}")
        return httpx.get(f"{self.base}/health/ready").is_success

    def output(self) -> str:
        return self.stderr.read_text(errors="replace")


def dev_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FTJOBS_", "OPENAI_"))}
    return env | {"FTJOBS_DATA_DIR": str(data_dir), "FTJOBS_EMULATOR_PHASE_SECONDS": "0.2"}


@contextlib.contextmanager
def running_dev(data_dir: Path, *, ignore_sigint: bool = False) -> Iterator[Dev]:
    """`ftjobs dev` in a session of its own; whatever it leaves is killed on the way out."""
    port = two_free_ports()
    command = [sys.executable, "-m", "service", "dev", "--port", str(port)]
    if ignore_sigint:
        # what `nohup` or `cmd &` in a non-interactive shell hand down: SIGINT ignored
        command = ["/bin/sh", "-c", 'trap "" INT; exec "$@"', "sh", *command]
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    stderr = data_dir.parent / "dev.stderr"
    with stderr.open("wb") as sink:
        process = subprocess.Popen(
            command,
            env=dev_env(data_dir),
            stdout=subprocess.DEVNULL,
            stderr=sink,
            start_new_session=True,
        )
    dev = Dev(process, data_dir, port, stderr)
    try:
        yield dev
    finally:
        _kill_everything(dev)


def two_free_ports() -> int:
    """A port for the API with the next one free for the emulator, both below the kernel's
    ephemeral range: a port bound to 0 and released is the kind the embedded servers (or any
    outgoing connection) may be handed next, and `ftjobs dev` stops everything when one of its
    servers cannot bind."""
    for _ in range(200):
        port = random.randrange(20_000, 32_000)
        if all(_bindable(candidate) for candidate in (port, port + 1)):
            return port
    raise AssertionError("no two free ports next to each other below 32000")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _kill_everything(dev: Dev) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(dev.process.pid, signal.SIGKILL)
    leftovers = [*dev.children, *embedded_servers(dev.data_dir)]
    for process in leftovers:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(leftovers, timeout=10)
    dev.process.wait(timeout=10)


def embedded_servers(data_dir: Path) -> list[psutil.Process]:
    """The Postgres and Redis servers that keep their data under `data_dir`: both daemonize, so
    they are not children of `ftjobs dev`."""
    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        where = " ".join(process.info["cmdline"] or []) + " " + (process.info["cwd"] or "")
        if str(data_dir) in where:
            found.append(process)
    return found


def test_dev_runs_everything_and_ctrl_c_stops_it(data_dir: Path) -> None:
    with running_dev(data_dir) as dev:
        key = dev.wait_ready()
        headers = {"Authorization": f"Bearer {key}"}
        assert httpx.get(f"{dev.base}/v1/jobs", headers=headers).status_code == 200
        providers = httpx.get(f"{dev.base}/v1/providers", headers=headers)
        configured = {p["name"]: p["configured"] for p in providers.json()["data"]}
        # every provider pointed at the emulator
        assert configured == {"openai": True, "azure": True, "together": True}
        scraper = (data_dir / "dev-metrics-token").read_text().strip()
        auth = {"Authorization": f"Bearer {scraper}"}
        scrape = httpx.get(f"{dev.base}/metrics", headers=auth)
        assert scrape.status_code == 200 and "ftjobs_jobs" in scrape.text
        assert httpx.get(f"{dev.base}/metrics").status_code == 401
        emulator = httpx.get(f"http://127.0.0.1:{dev.port + 1}/_emulator/state")
        assert emulator.status_code == 200
        assert len(dev.children) >= 4  # emulator, api, worker, scheduler (+ their own children)
        assert_a_loopback_webhook_can_be_registered(dev, headers)
        assert_keys_create_finds_the_dev_database(dev)
        servers = embedded_servers(data_dir)
        assert servers  # the daemonized Postgres and Redis are found, so the checks below mean it
        dev.process.send_signal(signal.SIGINT)
        dev.process.wait(timeout=30)
        assert key.startswith("ftk_")
        assert "API key" in dev.output()
        assert f"Bearer {scraper}' {dev.base}/metrics" in dev.output()
        assert not (data_dir / "dev-database-url").exists()  # removed on the way out
        _gone, alive = psutil.wait_procs([*dev.children, *servers], timeout=20)
        assert alive == []


def assert_a_loopback_webhook_can_be_registered(dev: Dev, headers: dict[str, str]) -> None:
    """A developer's receiver on their own machine: refused outside `ftjobs dev` unless
    FTJOBS_WEBHOOK_ALLOWED_NETWORKS names loopback, which dev does by default."""
    for url in (f"http://127.0.0.1:{dev.port}/hook", f"http://[::1]:{dev.port}/hook"):
        created = httpx.post(f"{dev.base}/v1/webhook-endpoints", headers=headers, json={"url": url})
        assert created.status_code == 201, created.text
    assert "webhooks may go to: 127.0.0.0/8,::1/128" in dev.output()


def test_dev_allows_loopback_webhooks_unless_told_otherwise() -> None:
    assert webhook_networks({}) == {"FTJOBS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128"}
    mine = {"FTJOBS_WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/8"}
    assert webhook_networks(mine) == {}
    assert webhook_networks({"FTJOBS_WEBHOOK_ALLOWED_NETWORKS": ""}) == {}  # "none": kept


def assert_keys_create_finds_the_dev_database(dev: Dev) -> None:
    """`ftjobs keys create --team other` with only FTJOBS_DATA_DIR, as a newcomer types it."""
    created = subprocess.run(
        [sys.executable, "-m", "service", "keys", "create", "--team", "other"],
        env=dev_env(dev.data_dir),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    assert "using the database of `ftjobs dev`" in created.stderr
    other = {"Authorization": f"Bearer {created.stdout.strip()}"}
    assert httpx.get(f"{dev.base}/v1/jobs", headers=other).status_code == 200


@pytest.mark.parametrize(
    ("ignore_sigint", "signum"),
    [(True, signal.SIGINT), (False, signal.SIGHUP)],
    ids=["sigint-when-inherited-ignored", "sighup"],
)
def test_dev_stops_everything_on_a_signal(
    data_dir: Path, ignore_sigint: bool, signum: signal.Signals
) -> None:
    with running_dev(data_dir, ignore_sigint=ignore_sigint) as dev:
        dev.wait_ready()
        servers = embedded_servers(data_dir)
        assert len(servers) >= 2, servers  # Postgres (with its workers) and Redis
        dev.process.send_signal(signum)
        dev.process.wait(timeout=30)
        _gone, alive = psutil.wait_procs([*dev.children, *servers], timeout=20)
        assert alive == []
        assert embedded_servers(data_dir) == []
