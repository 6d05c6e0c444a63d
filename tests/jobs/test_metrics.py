"""Training metrics and progress out of a provider's events (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from service.jobs.metrics import Progress, progress, step_metrics
from service.providers.base import RemoteEvent

AT = datetime(2026, 12, 7, tzinfo=UTC)


def event(type_: str, data: dict[str, Any] | None) -> RemoteEvent:
    return RemoteEvent(id=type_, created_at=AT, level="info", message="m", type=type_, data=data)


def test_openais_metrics_events_give_metrics_and_progress() -> None:
    events = [
        event("metrics", {"step": 1, "total_steps": 10, "train_loss": 0.5}),
        event("metrics", {"step": 2, "total_steps": 10, "train_loss": 0.4}),
    ]
    assert step_metrics(events)[2] == {"step": 2, "total_steps": 10, "train_loss": 0.4}
    assert progress(events) == Progress(2, 10)


def test_togethers_events_with_a_step_and_a_total_give_progress_not_metrics() -> None:
    events = [
        event("training_start", {"step": 0, "total_steps": 12}),
        event("checkpoint_save", {"step": 6, "total_steps": 12, "checkpoint_path": "s3://x"}),
        event("job_start", {"token_count": 900}),  # no step: no progress
    ]
    assert step_metrics(events) == {}
    assert progress(events) == Progress(6, 12)


def test_no_step_no_progress() -> None:
    assert progress([event("message", None), event("job_start", {"step": 3})]) is None
