"""One real-time emulator app for the session, shared by every provider's tests (each test gets it
emptied), an SDK client on its OpenAI world, and a hand-driven clock."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from service.emulators.config import EmulatorConfig
from tests.emulators.helpers import ManualClock, RunningEmulator, serve

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
    """An SDK client on the shared emulator's OpenAI world (`/v1`)."""
    with emulator.client() as sdk:
        yield sdk


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()
