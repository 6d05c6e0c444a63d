"""The shared Timeline: due entries come out oldest first, and a rescheduled item's old entry
is recognisably stale."""

from __future__ import annotations

from dataclasses import dataclass

from service.emulators.clock import Timeline


@dataclass
class Item:
    id: str
    version: int = 0


def _due(timeline: Timeline, items: dict[str, Item], now: float) -> list[tuple[float, str]]:
    """What a provider's `advance` replays: every live entry due by `now`, stale ones skipped."""
    fired = []
    while (entry := timeline.pop_due(now)) is not None:
        at, item_id, version = entry
        if items[item_id].version == version:
            fired.append((at, item_id))
    return fired


def test_entries_come_out_in_due_order_and_only_once_due() -> None:
    timeline = Timeline()
    items = {name: Item(name) for name in "abc"}
    timeline.schedule(items["a"], 30)
    timeline.schedule(items["b"], 10)
    timeline.schedule(items["c"], 20)

    assert _due(timeline, items, 5) == []
    assert _due(timeline, items, 25) == [(10, "b"), (20, "c")]
    assert _due(timeline, items, 30) == [(30, "a")]


def test_equal_due_times_keep_the_order_they_were_scheduled_in() -> None:
    timeline = Timeline()
    items = {name: Item(name) for name in "zyx"}
    for name in "zyx":
        timeline.schedule(items[name], 10)
    assert [item_id for _, item_id in _due(timeline, items, 10)] == ["z", "y", "x"]


def test_rescheduling_or_unscheduling_makes_the_old_entry_stale() -> None:
    timeline = Timeline()
    items = {"moved": Item("moved"), "dropped": Item("dropped")}
    timeline.schedule(items["moved"], 10)
    timeline.schedule(items["dropped"], 10)
    timeline.schedule(items["moved"], 50)  # e.g. a phase length changed
    Timeline.unschedule(items["dropped"])  # e.g. a job cancelled

    assert _due(timeline, items, 40) == []
    assert _due(timeline, items, 50) == [(50, "moved")]


def test_clear_forgets_every_entry() -> None:
    timeline = Timeline()
    item = Item("a")
    timeline.schedule(item, 1)
    timeline.clear()
    assert timeline.pop_due(100) is None
