from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from service.console import formatting


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0 s"), (45, "45 s"), (3725, "1 h 2 min"), (90061, "1 d 1 h"), (None, "—")],
)
def test_durations_show_their_two_largest_units(seconds: float | None, shown: str) -> None:
    assert formatting.duration(seconds) == shown


@pytest.mark.parametrize(
    ("size", "shown"), [(999, "999 bytes"), (1500, "1.5 KB"), (2_500_000, "2.5 MB")]
)
def test_sizes_in_decimal_units(size: int, shown: str) -> None:
    assert formatting.byte_size(size) == shown


def test_times_are_shown_in_utc_whatever_zone_they_come_in() -> None:
    paris = timezone(timedelta(hours=2))
    when = datetime(2026, 5, 1, 11, 30, tzinfo=paris)
    assert formatting.timestamp(when) == "2026-05-01 09:30:00 UTC"
    assert formatting.elapsed(when, when + timedelta(minutes=3)) == "3 min"
    assert formatting.iso(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00+00:00"


def test_numbers_metrics_and_values() -> None:
    assert formatting.count(1234567) == "1,234,567"
    assert formatting.metric(0.693147) == "0.6931"
    assert formatting.metric(float("inf")) == "—"
    assert formatting.percent(0.975) == "97.5 %"
    assert formatting.value("globalstandard") == "globalstandard"
    assert formatting.value({"b": 1, "a": True}) == '{"a": true, "b": 1}'
