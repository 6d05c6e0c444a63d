from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.emulators.azure.helpers import azure_client
from tests.emulators.helpers import RunningEmulator


@pytest.fixture
def azure(emulator: RunningEmulator) -> Iterator[openai.OpenAI]:
    """An SDK client on the shared emulator's Azure resource, with the right key."""
    with azure_client(emulator) as sdk:
        yield sdk
