"""Where Together's emulator lives and what its handlers are injected with."""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency

from service.emulators.together.state import TogetherWorld

PATH = "/together"  # the SDK's base_url; its own paths start with /v1
WorldDep: TypeAlias = NamedDependency[TogetherWorld]
