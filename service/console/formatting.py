"""How numbers, sizes, times and values read on a page (pure)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from service.api.schemas import PriceEstimateOut

_SIZE_UNITS = ("bytes", "KB", "MB", "GB", "TB")


def count(n: int | None) -> str:
    """1234567 -> "1,234,567"; None -> "—"."""
    return "—" if n is None else f"{n:,}"


def price(estimate: PriceEstimateOut) -> str:
    """The provider's estimate as people read a bill: "12.50 USD (limit 500 USD)"; what the
    provider said when it would not let the job proceed."""
    total = "unknown" if estimate.total is None else f"{estimate.total:,.2f} {estimate.currency}"
    if estimate.user_limit is not None:
        total += f" (limit {estimate.user_limit:,.2f} {estimate.currency})"
    return total if estimate.allowed_to_proceed else f"{total}: over the limit, not created"


def byte_size(n: int | None) -> str:
    """Decimal units, as disks and uploads are sold: 1_500_000 -> "1.5 MB"."""
    if n is None:
        return "—"
    size = float(n)
    for unit in _SIZE_UNITS:
        if size < 1000 or unit == _SIZE_UNITS[-1]:
            return f"{n:,} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def duration(seconds: float | None) -> str:
    """The two largest units that matter: 45 -> "45 s", 3725 -> "1 h 2 min"."""
    if seconds is None:
        return "—"
    whole = max(0, round(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    shown = [f"{value} {unit}" for value, unit in parts if value][:2]
    return " ".join(shown) or "0 s"


def timestamp(when: datetime | None) -> str:
    """UTC to the second, the same for every reader: "2026-05-01 09:30:00 UTC"."""
    if when is None:
        return "—"
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(when: datetime | None) -> str:
    """For <time datetime="…">."""
    return "" if when is None else when.astimezone(UTC).isoformat()


def elapsed(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "—"
    return duration((end - start).total_seconds())


def percent(ratio: float | None, digits: int = 1) -> str:
    """0.975 -> "97.5 %"; None -> "—"."""
    return "—" if ratio is None else f"{ratio * 100:.{digits}f} %"


def metric(value: float | None) -> str:
    """A training metric with four significant digits: 0.693147 -> "0.6931"."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.4g}"


def value(item: Any) -> str:
    """A hyperparameter or metadata value as it was given: strings bare, the rest as JSON."""
    if isinstance(item, str):
        return item
    return json.dumps(item, sort_keys=True)
