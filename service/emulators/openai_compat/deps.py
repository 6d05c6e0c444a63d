"""Handler parameter types: dependencies injected by name, the way Litestar 3 wants them."""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency

from service.emulators.openai_compat.state import Emulator

EmulatorDep: TypeAlias = NamedDependency[Emulator]
