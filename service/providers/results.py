"""Reading OpenAI's result files (pure): a CSV of per-step metrics, sometimes base64-encoded."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import math


def decode_result_file(raw: bytes) -> str:
    """The cookbook base64-decodes result files before reading them; accept both forms."""
    text = raw.decode("utf-8", "replace")
    if text.lstrip().startswith("step"):
        return text
    try:
        return base64.b64decode(raw, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return text


def parse_metrics_csv(text: str) -> list[dict[str, float]]:
    rows = []
    for record in csv.DictReader(io.StringIO(text)):
        row = {key.strip(): _number(value) for key, value in record.items() if key}
        values = {key: value for key, value in row.items() if value is not None}
        if "step" in values:
            rows.append(values)
    return rows


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None
