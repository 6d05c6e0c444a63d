"""Reaching the emulator's Azure OpenAI resource as the service does: the plain `openai` SDK at
`{endpoint}/openai/v1/` with the key in Azure's `api-key` header.

The client also sends the key as a bearer token (openai 3.x always sends `Authorization` when it
has an `api_key`); the emulator, like Azure, reads only `api-key`.
"""

from __future__ import annotations

import re
from typing import Any

import openai

from tests.emulators.helpers import RunningEmulator

AZURE_KEY = "azure-emulator-key"  # EmulatorConfig's default
AZURE_PATH = "/openai/v1"
HEX32 = "[0-9a-f]{32}"
ACCESS_DENIED = {
    "error": {
        "code": "401",
        "message": "Access denied due to invalid subscription key or wrong API endpoint. Make "
        "sure to provide a valid key for an active subscription and use a correct regional API "
        "endpoint for your resource.",
    }
}


def azure_client(emulator: RunningEmulator, key: str = AZURE_KEY, **options: Any) -> openai.OpenAI:
    options.setdefault("max_retries", 0)
    return openai.OpenAI(
        api_key=key,
        base_url=f"{emulator.url}{AZURE_PATH}/",
        default_headers={"api-key": key},
        **options,
    )


def azure_state(emulator: RunningEmulator) -> dict[str, Any]:
    """Azure's part of `GET /_emulator/state`."""
    part: dict[str, Any] = emulator.state()["azure"]
    return part


def fine_tuned_pattern(base: str) -> re.Pattern[str]:
    """`<base>.ft-<32 hex>`, Azure's name for a model fine-tuned from `base`."""
    return re.compile(rf"{re.escape(base)}\.ft-{HEX32}")
