"""Training rows every emulator's tests send: small DPO and SFT examples as JSONL (the same
for OpenAI's, Azure's and Together's worlds, which take the same three-field DPO file)."""

from __future__ import annotations

import json
from typing import Any


def dpo_row(index: int) -> dict[str, Any]:
    return {
        "input": {
            "messages": [
                {"role": "system", "content": "You answer briefly."},
                {"role": "user", "content": f"What is {index} plus {index}?"},
            ]
        },
        "preferred_output": [{"role": "assistant", "content": f"It is {2 * index}."}],
        "non_preferred_output": [{"role": "assistant", "content": "No idea, sorry."}],
    }


def sft_row(index: int) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": f"Say {index}"},
            {"role": "assistant", "content": f"{index}"},
        ]
    }


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return ("\n".join(json.dumps(row) for row in rows) + "\n").encode()
