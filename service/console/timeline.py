"""A job's events as a timeline a person can read (pure).

A provider reports one metrics event per training step: hundreds of lines that would bury the
transitions. Consecutive metrics events fold into one entry naming the steps they span (the
chart and the metrics table show the numbers)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class EventLike(Protocol):
    @property
    def sequence(self) -> int: ...
    @property
    def source(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def data(self) -> dict[str, Any] | None: ...
    @property
    def created_at(self) -> datetime: ...


@dataclass(frozen=True)
class Entry:
    at: datetime
    source: str  # "ftjobs" for our own transitions, else the provider's name
    type: str
    level: str
    message: str
    first_sequence: int
    last_sequence: int
    steps: tuple[int, int] | None = None  # a folded run of metrics events: first and last step
    folded: int = 1  # how many events this entry stands for


def is_metrics(event: EventLike) -> bool:
    return event.type.endswith(".metrics")


def timeline(events: Iterable[EventLike]) -> list[Entry]:
    entries: list[Entry] = []
    for event in events:
        last = entries[-1] if entries else None
        if is_metrics(event) and last is not None and last.steps is not None:
            entries[-1] = _extend(last, event)
        elif is_metrics(event):
            step = _step(event)
            entries.append(_entry(event, steps=(step, step)))
        else:
            entries.append(_entry(event))
    return [_summarise(entry) for entry in entries]


def _entry(event: EventLike, steps: tuple[int, int] | None = None) -> Entry:
    return Entry(
        at=event.created_at,
        source=event.source,
        type=event.type,
        level=event.level,
        message=event.message,
        first_sequence=event.sequence,
        last_sequence=event.sequence,
        steps=steps,
    )


def _extend(entry: Entry, event: EventLike) -> Entry:
    first, _ = entry.steps or (0, 0)
    return Entry(
        at=event.created_at,
        source=entry.source,
        type=entry.type,
        level=entry.level,
        message=event.message,  # the latest step's own words
        first_sequence=entry.first_sequence,
        last_sequence=event.sequence,
        steps=(first, _step(event)),
        folded=entry.folded + 1,
    )


def _summarise(entry: Entry) -> Entry:
    if entry.steps is None or entry.folded == 1:
        return entry
    first, last = entry.steps
    message = f"Steps {first} to {last} reported ({entry.folded} metrics events); latest: "
    return Entry(**{**entry.__dict__, "message": message + entry.message})


def _step(event: EventLike) -> int:
    step = (event.data or {}).get("step")
    return int(step) if isinstance(step, int | float) and not isinstance(step, bool) else 0
