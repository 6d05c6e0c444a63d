"""Event types and bodies (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from service.webhooks import events


def test_unknown_event_types_are_named_with_their_place() -> None:
    errors = events.check_event_types(
        ["job.succeeded", "job.exploded"], frozenset({"job.succeeded"})
    )
    assert [(e.code, e.path) for e in errors] == [("unknown_event_type", "/event_types/1")]


def test_the_body_is_type_timestamp_and_data_in_compact_json() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    body = events.body("ping", when, {"b": 1, "a": "é"})
    assert json.loads(body) == {
        "type": "ping",
        "timestamp": "2026-01-02T03:04:05Z",
        "data": {"b": 1, "a": "é"},
    }
    assert " " not in body and body == events.body("ping", when, {"b": 1, "a": "é"})
