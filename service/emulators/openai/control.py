"""OpenAI's part of `/_emulator/*`: its world's counts and listings at the top level of `state`
(the keys tests have always read), its webhook deliveries, and what `reset` forgets."""

from __future__ import annotations

from typing import Any

from service.emulators.openai.webhooks import WebhookSender
from service.emulators.openai_compat import control
from service.emulators.openai_compat.state import Emulator


def state(emu: Emulator, webhooks: WebhookSender) -> dict[str, Any]:
    return {**control.state(emu), "webhook_deliveries": webhooks.as_json()}


async def reset(emu: Emulator, webhooks: WebhookSender) -> None:
    """Forget every file, upload, job and delivery (the run-time knobs are the app's to reset)."""
    await webhooks.reset()
    emu.reset()
