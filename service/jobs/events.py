"""Our own job events (pure constructors)."""

from __future__ import annotations

from typing import Any

from service.datasets.validator import Overlap
from service.jobs.repository import NewEvent
from service.jobs.states import JobStatus
from service.providers.base import RemoteEvent


def status_event(
    status: JobStatus, message: str, *, level: str = "info", data: dict[str, Any] | None = None
) -> NewEvent:
    return NewEvent(
        type=f"job.{status.value}",
        message=message,
        level=level,
        data={"status": status.value, **(data or {})},
    )


def mirrored(event: RemoteEvent) -> NewEvent:
    return NewEvent(
        type=f"openai.{event.type}",
        message=event.message,
        level=event.level,
        source="openai",
        data=event.data,
        openai_event_id=event.id,
        created_at=event.created_at,
    )


# Not `job.*`: webhooks announce status changes only (API.md); this one is in the job's events.
OVERLAP_EVENT = "dataset.validation_overlap"


def overlap_event(overlap: Overlap) -> NewEvent:
    return NewEvent(
        type=OVERLAP_EVENT,
        message=overlap.message(),
        level="warning" if overlap.shared_prompts else "info",
        data=overlap.as_data(),
    )
