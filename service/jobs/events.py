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


def mirrored(event: RemoteEvent, provider: str) -> NewEvent:
    """A provider's own event, kept as `<provider>.<its type>`."""
    return NewEvent(
        type=f"{provider}.{event.type}",
        message=event.message,
        level=event.level,
        source=provider,
        data=event.data,
        provider_event_id=event.id,
        created_at=event.created_at,
    )


# Not `job.*`: webhooks announce status changes only; these are in the job's own events.
OVERLAP_EVENT = "dataset.validation_overlap"
FILE_GONE_EVENT = "dataset.file_gone"


def file_gone_event(param: str, file_id: str) -> NewEvent:
    return NewEvent(
        type=FILE_GONE_EVENT,
        message=f"The provider no longer has {param} {file_id}; uploading the dataset again",
        level="warning",
        data={"param": param, "file_id": file_id},
    )


def overlap_event(overlap: Overlap) -> NewEvent:
    return NewEvent(
        type=OVERLAP_EVENT,
        message=overlap.message(),
        level="warning" if overlap.shared_prompts else "info",
        data=overlap.as_data(),
    )
