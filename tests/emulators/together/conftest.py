from __future__ import annotations

from collections.abc import Iterator

import pytest
from together import Together

from service.emulators.config import EmulatorConfig
from tests.emulators.helpers import ManualClock, RunningEmulator, serve
from tests.emulators.together.helpers import PHASE, Manual, together_client


@pytest.fixture
def sdk(emulator: RunningEmulator) -> Iterator[Together]:
    """A `together` SDK client on the shared emulator's Together account, with the right key."""
    with together_client(emulator) as sdk:
        yield sdk


@pytest.fixture
def manual() -> Iterator[Manual]:
    """A fresh emulator of its own on a hand-driven clock (`PHASE` seconds a phase)."""
    clock = ManualClock()
    config = EmulatorConfig(phase_seconds=PHASE, seed=5)
    with serve(config, clock) as emulator, together_client(emulator) as sdk:
        yield Manual(emulator, clock, sdk)
