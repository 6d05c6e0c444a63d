from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from service.api.schemas import EventOut
from service.console.timeline import timeline

START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def event(seq: int, type_: str, data: dict[str, Any] | None = None) -> EventOut:
    source = type_.split(".")[0] if not type_.startswith("job.") else "ftjobs"
    return EventOut(
        id=f"ev{seq}",
        job_id="job_1",
        sequence=seq,
        source=source,
        type=type_,
        level="info",
        message=f"message {seq}",
        data=data,
        created_at=START + timedelta(seconds=seq),
    )


def test_a_run_of_metrics_events_folds_into_one_entry_naming_its_steps() -> None:
    events = [
        event(1, "job.running"),
        *(event(1 + step, "openai.metrics", {"step": step}) for step in range(1, 11)),
        event(12, "openai.message"),
        event(13, "openai.metrics", {"step": 11}),
        event(14, "job.succeeded"),
    ]
    entries = timeline(events)
    assert [e.type for e in entries] == [
        "job.running",
        "openai.metrics",
        "openai.message",
        "openai.metrics",
        "job.succeeded",
    ]
    folded = entries[1]
    assert folded.steps == (1, 10) and folded.folded == 10
    assert (folded.first_sequence, folded.last_sequence) == (2, 11)
    assert folded.message.startswith("Steps 1 to 10 reported (10 metrics events); latest: ")
    assert folded.at == START + timedelta(seconds=11)
    assert entries[3].message == "message 13"  # a lone metrics event keeps its own words


def test_events_of_our_own_keep_their_order_and_words() -> None:
    entries = timeline([event(1, "job.pending"), event(2, "job.uploading")])
    assert [(e.source, e.message) for e in entries] == [
        ("ftjobs", "message 1"),
        ("ftjobs", "message 2"),
    ]
