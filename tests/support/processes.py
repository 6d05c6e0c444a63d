"""The service's real processes for end-to-end tests: emulator, API, RQ workers, scheduler."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil


def validation_workers() -> list[psutil.Process]:
    """This process's validator pool workers (service.datasets.validator.shared_pool): forked
    by the pool's fork server, a child of this process, not by this process itself."""
    return [
        child
        for child in psutil.Process().children(recursive=True)
        if "forkserver" in " ".join(child.cmdline()) and child.ppid() != os.getpid()
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    condition: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1
) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = condition()
            if last:
                return last
        except (httpx.HTTPError, OSError) as error:
            last = error
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


@dataclass
class Stack:
    env: dict[str, str]
    logs: Path
    api_url: str = ""
    emulator_url: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def spawn(self, name: str, *command: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "service", *command],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        return process

    def start_emulator(self, **extra_env: str) -> None:
        port = free_port()
        self.emulator_url = f"http://127.0.0.1:{port}"
        # Every provider at the emulator: OpenAI at /v1, Azure OpenAI at /openai/v1/, Together
        # at /together/v1 (the SDK adds /v1; the keys are the emulator's defaults unless the
        # environment names others).
        azure_key = self.env.get("FTJOBS_EMULATOR_AZURE_API_KEY", "azure-emulator-key")
        together_key = self.env.get("FTJOBS_EMULATOR_TOGETHER_API_KEY", "together-emulator-key")
        self.env |= {
            "FTJOBS_OPENAI_BASE_URL": f"{self.emulator_url}/v1",
            "FTJOBS_AZURE_OPENAI_ENDPOINT": self.emulator_url,
            "FTJOBS_AZURE_OPENAI_API_KEY": azure_key,
            "FTJOBS_TOGETHER_BASE_URL": f"{self.emulator_url}/together",
            "FTJOBS_TOGETHER_API_KEY": together_key,
            **extra_env,
        }
        self.spawn("emulator", "emulator", "--port", str(port))
        wait_until(
            lambda: httpx.get(f"{self.emulator_url}/_emulator/state").is_success,
            timeout=20,
            what="the emulator",
        )

    def start_api(self) -> None:
        port = free_port()
        self.api_url = f"http://127.0.0.1:{port}"
        self.spawn("api", "api", "--host", "127.0.0.1", "--port", str(port))
        wait_until(
            lambda: httpx.get(f"{self.api_url}/health/ready").is_success, timeout=30, what="the API"
        )

    def start_workers(self, count: int = 1) -> None:
        for index in range(count):
            self.start_worker(index)
        self.spawn("scheduler", "scheduler")

    def start_worker(self, index: int = 0) -> None:
        """One RQ worker `worker<index>`: at the start, or again after it was killed (under a
        new name, as a restarted pod would be)."""
        self.spawn(
            f"worker{index}",
            "worker",
            "--name",
            f"e2e-{os.getpid()}-{index}-{time.monotonic_ns()}",
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        process.send_signal(sig)
        process.wait(timeout=30)

    def kill_tree(self, name: str) -> None:
        """SIGKILL a process and everything it forked (an RQ worker's work-horse too, which
        would otherwise finish its job): as when the machine under it dies."""
        parent = psutil.Process(self.processes[name].pid)
        parent.suspend()  # a stopped process forks no new work-horse while we look
        children = parent.children(recursive=True)
        self.kill(name)
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        psutil.wait_procs(children, timeout=30)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def log_tail(self, lines: int = 40) -> str:
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(parts)
