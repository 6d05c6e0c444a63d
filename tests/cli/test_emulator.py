"""`ftjobs emulator`: the emulator config from settings, and Azure's key from the flag or the
environment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

import service.cli
import service.emulators.app
from service.cli import emulator_config
from service.config import Settings, get_settings
from service.emulators.config import EmulatorConfig


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[EmulatorConfig]]:
    """The configs `ftjobs emulator` would serve, without serving them."""
    configs: list[EmulatorConfig] = []

    def create_app(config: EmulatorConfig) -> str:
        configs.append(config)
        return "app"

    def run(app: Any, **_: Any) -> None:
        assert app == "app"

    monkeypatch.setattr(service.emulators.app, "create_app", create_app)
    monkeypatch.setattr(uvicorn, "run", run)  # service.cli calls it as uvicorn.run
    get_settings.cache_clear()
    yield configs
    get_settings.cache_clear()


def test_azure_key_defaults_to_the_emulators_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FTJOBS_EMULATOR_AZURE_API_KEY", raising=False)
    assert emulator_config(Settings()).azure_api_key == "azure-emulator-key"


def test_azure_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTJOBS_EMULATOR_AZURE_API_KEY", "k-from-env")
    assert emulator_config(Settings()).azure_api_key == "k-from-env"


def test_together_key_defaults_to_the_emulators_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FTJOBS_EMULATOR_TOGETHER_API_KEY", raising=False)
    assert emulator_config(Settings()).together_api_key == "together-emulator-key"


def test_together_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTJOBS_EMULATOR_TOGETHER_API_KEY", "k-together-env")
    assert emulator_config(Settings()).together_api_key == "k-together-env"


def test_the_flag_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, served: list[EmulatorConfig]
) -> None:
    monkeypatch.setenv("FTJOBS_EMULATOR_AZURE_API_KEY", "k-from-env")
    flagged = CliRunner().invoke(service.cli.main, ["emulator", "--azure-api-key", "k-flag"])
    plain = CliRunner().invoke(service.cli.main, ["emulator"])

    assert (flagged.exit_code, plain.exit_code) == (0, 0), flagged.output + plain.output
    assert [config.azure_api_key for config in served] == ["k-flag", "k-from-env"]


def test_the_together_flag_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, served: list[EmulatorConfig]
) -> None:
    monkeypatch.setenv("FTJOBS_EMULATOR_TOGETHER_API_KEY", "k-from-env")
    flagged = CliRunner().invoke(service.cli.main, ["emulator", "--together-api-key", "k-flag"])
    plain = CliRunner().invoke(service.cli.main, ["emulator"])

    assert (flagged.exit_code, plain.exit_code) == (0, 0), flagged.output + plain.output
    assert [config.together_api_key for config in served] == ["k-flag", "k-from-env"]
