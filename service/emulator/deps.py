"""Handler parameter types: dependencies injected by name, the way Litestar 3 wants them."""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency

from service.emulator.state import Emulator
from service.emulator.webhooks import WebhookSender

EmulatorDep: TypeAlias = NamedDependency[Emulator]
WebhooksDep: TypeAlias = NamedDependency[WebhookSender]
