"""What every provider emulator of one app shares: the start-up config, the clock, the run-time
knobs (`POST /_emulator/faults`), the fault dice and the request counts.

Everything runs on the server's event loop, so no locks: state changes only in synchronous code.
"""

from __future__ import annotations

import random
import time
from collections import Counter

from service.emulators.clock import Clock
from service.emulators.config import EmulatorConfig, RuntimeSettings


class Runtime:
    """One per app; each provider's world and the fault middleware read the knobs from here."""

    def __init__(self, config: EmulatorConfig, clock: Clock = time.time) -> None:
        self.config = config
        self.clock = clock
        self.reset()

    def __deepcopy__(self, memo: dict[int, object]) -> Runtime:
        # Litestar deep-copies routers, middleware included, when it registers them: every copy
        # must still be this one shared runtime
        return self

    def reset(self) -> None:
        """Return the run-time knobs to the start-up config and forget the counts."""
        seed = self.config.seed
        # faults draw apart from ids (seed + 1): how often clients poll never shifts the ids
        self.dice = random.Random(None if seed is None else seed + 1)
        self.settings = RuntimeSettings.from_config(self.config)
        self.faults_injected: Counter[str] = Counter()
        # API requests by method and the handler's own path, for benchmarks: "GET /" (which is
        # the file and the job lists, OpenAI's and Azure's alike: the routers' prefixes are not
        # part of the key)
        self.requests: Counter[str] = Counter()

    def now(self) -> float:
        return self.clock()

    def update_settings(self, patch: dict[str, object]) -> RuntimeSettings:
        self.settings = self.settings.updated(dict(patch))
        return self.settings

    def pick_fault(self) -> str | None:
        """Roll the dice for one request: None, or one of the enabled faults."""
        settings = self.settings
        if not settings.faults or self.dice.random() >= settings.fault_rate:
            return None
        fault = self.dice.choice(settings.faults)
        self.faults_injected[fault] += 1
        return fault
