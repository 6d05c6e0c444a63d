"""`python -m service.emulators` and the config's own checks."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from service.emulators.__main__ import parse_args
from service.emulators.config import EmulatorConfig, RuntimeSettings


def test_arguments_build_the_config() -> None:
    args, config = parse_args(
        [
            "--port", "9123",
            "--phase-seconds", "0.5",
            "--fault-rate", "0.25",
            "--faults", "429,drop",
            "--training-not-available",
            "--webhook-url", "http://a/hook", "http://b/hook",
            "--webhook-url", "http://c/hook",
            "--webhook-secret", "whsec_c2VjcmV0",
            "--azure-api-key", "k-azure",
            "--together-api-key", "k-together",
        ]
    )  # fmt: skip
    assert args.port == 9123
    assert config.phase_seconds == 0.5
    assert config.fault_rate == 0.25
    assert config.faults == ("429", "drop")
    assert config.training_not_available is True
    assert config.webhook_urls == ("http://a/hook", "http://b/hook", "http://c/hook")
    assert config.webhook_secret == "whsec_c2VjcmV0"
    assert config.azure_api_key == "k-azure"
    assert config.together_api_key == "k-together"


def test_azure_key_has_a_default() -> None:
    _, config = parse_args([])
    assert config.azure_api_key == EmulatorConfig().azure_api_key == "azure-emulator-key"


def test_together_key_has_a_default() -> None:
    _, config = parse_args([])
    assert config.together_api_key == EmulatorConfig().together_api_key == "together-emulator-key"


@pytest.mark.parametrize(
    "bad",
    [
        {"faults": ("teapot",)},
        {"fault_rate": 1.5},
        {"phase_seconds": -1.0},
        {"webhook_secret": "plain"},
        {"max_running_per_model": 0},
        {"azure_api_key": ""},
    ],
)
def test_config_rejects_nonsense(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        EmulatorConfig(**bad)  # type: ignore[arg-type]


def test_runtime_settings_accept_comma_lists() -> None:
    settings = RuntimeSettings.from_config(EmulatorConfig()).updated({"faults": "429, 503"})
    assert settings.faults == ("429", "503")


def test_module_runs_a_server() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "service.emulators",
        "--port",
        str(port),
        "--phase-seconds",
        "0",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/_emulator/state")
                break
            except httpx.TransportError:
                assert process.poll() is None, "the emulator exited"
                assert time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.1)
        assert response.json()["settings"]["phase_seconds"] == 0.0
    finally:
        process.terminate()
        process.wait(10)
