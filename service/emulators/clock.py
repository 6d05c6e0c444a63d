"""The job clock every provider emulator runs on: a time source and the schedule of what is due.

The clock is lazy: a provider replays, before every request and on a background tick, each
transition that fell due since it last looked, at the virtual time it was due (see
`app.create_app`). Tests pass a hand-driven `Clock` so phases are exact and nothing sleeps.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Protocol

Clock = Callable[[], float]


class Scheduled(Protocol):
    """Anything with a next due time, e.g. a job; `version` tells a stale schedule entry."""

    @property
    def id(self) -> str: ...

    version: int


class Timeline:
    """A min-heap of (due, id); entries whose item changed since are skipped as stale."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str, int]] = []
        self._order = itertools.count()

    def schedule(self, item: Scheduled, at: float) -> None:
        item.version += 1
        heapq.heappush(self._heap, (at, next(self._order), item.id, item.version))

    @staticmethod
    def unschedule(item: Scheduled) -> None:
        item.version += 1

    def pop_due(self, now: float) -> tuple[float, str, int] | None:
        """The earliest entry due by `now` as (due, id, version), or None; the caller checks
        `version` against the item's own to skip stale entries."""
        if self._heap and self._heap[0][0] <= now:
            at, _, item_id, version = heapq.heappop(self._heap)
            return at, item_id, version
        return None

    def entries(self) -> list[tuple[float, str, int]]:
        """Every entry as (due, id, version), in due order, to carry across a restart."""
        return [(at, item_id, version) for at, _, item_id, version in sorted(self._heap)]

    def restore(self, entries: list[tuple[float, str, int]]) -> None:
        """Replace the schedule with `entries` (from `entries()`); versions are kept as they
        were, so the items' own versions still tell stale entries."""
        self._heap = [(at, next(self._order), item_id, version) for at, item_id, version in entries]
        heapq.heapify(self._heap)

    def clear(self) -> None:
        self._heap.clear()
