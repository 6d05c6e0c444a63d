"""Training metrics out of OpenAI's events (pure). DPO metric names are not documented, so every
numeric field of a metrics event is kept as it came."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from service.providers.base import RemoteEvent


@dataclass(frozen=True)
class Progress:
    step: int
    total: int | None


def step_metrics(events: Iterable[RemoteEvent]) -> dict[int, dict[str, float]]:
    """{step: {name: value}} from metrics events; a later event for a step adds to it."""
    steps: dict[int, dict[str, float]] = {}
    for event in events:
        values = _numbers(event.data) if event.type == "metrics" else {}
        step = values.get("step")
        if step is not None and float(step).is_integer():
            steps.setdefault(int(step), {}).update(values)
    return steps


def progress(events: Iterable[RemoteEvent]) -> Progress | None:
    """The furthest step the events reach: metrics events (OpenAI), or any event that states
    its step and the total (Together's `training_start`, `checkpoint_save`, …)."""
    events = list(events)
    steps = {step: values.get("total_steps") for step, values in step_metrics(events).items()}
    for event in events:
        values = _numbers(event.data) if event.type != "metrics" else {}
        step, total = values.get("step"), values.get("total_steps")
        if step is not None and total is not None and step.is_integer():
            steps.setdefault(int(step), total)
    if not steps:
        return None
    latest = max(steps)
    total = steps[latest]
    return Progress(latest, int(total) if total is not None else None)


def mentions_checkpoint(events: Iterable[RemoteEvent]) -> bool:
    return any("checkpoint" in event.message.lower() for event in events)


def _numbers(data: dict[str, object] | None) -> dict[str, float]:
    if not data:
        return {}
    return {
        key: float(value)
        for key, value in data.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    }
