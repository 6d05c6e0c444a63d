from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.emulators.config import EmulatorConfig
from tests.emulators.helpers import ManualClock, RunningEmulator, serve


@pytest.fixture
def slow_emulator(clock: ManualClock) -> Iterator[RunningEmulator]:
    """An emulator on a hand-driven clock: 10 s phases that pass only when the test says so."""
    config = EmulatorConfig(phase_seconds=10.0, seed=3, max_running_per_model=1)
    with serve(config, clock) as running:
        yield running
