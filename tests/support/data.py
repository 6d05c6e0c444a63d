"""Datasets the tests upload."""

from __future__ import annotations

import json
from typing import Any


def dpo_row(i: int, *, prompt: str | None = None) -> dict[str, Any]:
    return {
        "input": {"messages": [{"role": "user", "content": prompt or f"Question number {i}?"}]},
        "preferred_output": [{"role": "assistant", "content": f"A careful answer to {i}."}],
        "non_preferred_output": [{"role": "assistant", "content": f"Whatever, {i}."}],
    }


def dpo_rows(count: int = 12) -> list[dict[str, Any]]:
    return [dpo_row(i) for i in range(count)]


def sft_rows(count: int = 12) -> list[dict[str, Any]]:
    return [
        {
            "messages": [
                {"role": "user", "content": f"Q{i}"},
                {"role": "assistant", "content": f"A{i}"},
            ]
        }
        for i in range(count)
    ]


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)
