"""Event types and what their bodies say (pure)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from service.db.models import Dataset, Job, JobEvent
from service.errors import FieldError, pointer

PING = "ping"
DATASET_CREATED = "dataset.created"


def check_event_types(types: Sequence[str], known: frozenset[str]) -> list[FieldError]:
    """`known` is the catalogue of the events that exist (`service.wiring.EVENT_TYPES`): this
    package sits below the ones whose events it carries and does not import them."""
    errors = []
    for index, name in enumerate(types):
        if name not in known:
            message = f"unknown event type {name!r}; known: {', '.join(sorted(known))}"
            errors.append(
                FieldError("unknown_event_type", message, path=pointer("event_types", index))
            )
    return errors


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def body(type_: str, created_at: datetime, data: dict[str, Any]) -> str:
    """The bytes signed and sent; the same for every attempt of an event (compact JSON,
    rendered from the stored row)."""
    payload = {"type": type_, "timestamp": rfc3339(created_at), "data": data}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def _iso(when: datetime | None) -> str | None:
    return rfc3339(when) if when is not None else None


def job_data(job: Job, event: JobEvent) -> dict[str, Any]:
    """The job as it is after the change the event announces. `sequence` orders a job's
    events (deliveries may overtake each other): a consumer keeps the highest it has seen."""
    error = None
    if job.error_code is not None:
        error = {
            "code": job.error_code,
            "message": job.error_message or "",
            "retryable": bool(job.error_retryable),
        }
    return {
        "job": {
            "id": job.id,
            "team": job.team,
            "status": job.status,
            "method": job.method,
            "model": job.model,
            "fine_tuned_model": job.fine_tuned_model,
            "provider": job.provider,
            "provider_status": job.provider_status,
            "provider_job_id": job.provider_job_id,
            # Kept for consumers written before providers existed (OpenAI jobs only).
            "openai_job_id": job.provider_job_id if job.provider == "openai" else None,
            "trained_tokens": job.trained_tokens,
            "error": error,
            "metadata": job.job_metadata,
            "pipeline_id": job.pipeline_id,
            "created_at": _iso(job.created_at),
            "finished_at": _iso(job.finished_at),
        },
        "sequence": event.seq,
        "event": {"id": event.id, "level": event.level, "message": event.message},
    }


def dataset_data(dataset: Dataset) -> dict[str, Any]:
    return {
        "dataset": {
            "id": dataset.id,
            "team": dataset.team,
            "name": dataset.name,
            "kind": dataset.kind,
            "status": dataset.status,
            "format": dataset.source_format,
            "bytes": dataset.bytes,
            "sha256": dataset.sha256,
            "examples": dataset.examples,
        }
    }


def ping_data(endpoint_id: str) -> dict[str, Any]:
    return {"endpoint_id": endpoint_id, "message": "ping from finetune-jobs"}
