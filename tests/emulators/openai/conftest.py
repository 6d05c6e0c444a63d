from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from service.emulators.config import EmulatorConfig
from tests.emulators.helpers import ManualClock
from tests.emulators.openai.helpers import RunningEmulator, serve

FAST = 0.05  # seconds per phase on the shared, real-time emulator


@pytest.fixture(scope="session")
def _shared_emulator() -> Iterator[RunningEmulator]:
    with serve(EmulatorConfig(phase_seconds=FAST, seed=7, retry_after_seconds=1.0)) as running:
        yield running


@pytest.fixture
def emulator(_shared_emulator: RunningEmulator) -> RunningEmulator:
    """The shared real-time emulator, emptied and back at its start-up settings."""
    _shared_emulator.reset()
    return _shared_emulator


@pytest.fixture
def client(emulator: RunningEmulator) -> Iterator[openai.OpenAI]:
    with emulator.client() as sdk:
        yield sdk


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def slow_emulator(clock: ManualClock) -> Iterator[RunningEmulator]:
    """An emulator on a hand-driven clock: 10 s phases that pass only when the test says so."""
    config = EmulatorConfig(phase_seconds=10.0, seed=3, max_running_per_model=1)
    with serve(config, clock) as running:
        yield running
