from __future__ import annotations

from collections.abc import Iterator

import pytest
from together import Together

from tests.emulators.helpers import RunningEmulator
from tests.emulators.together.helpers import together_client


@pytest.fixture
def sdk(emulator: RunningEmulator) -> Iterator[Together]:
    """A `together` SDK client on the shared emulator's Together account, with the right key."""
    with together_client(emulator) as sdk:
        yield sdk
