"""Records as OpenAI's JSON objects, and the cursor pagination every list endpoint shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from service.emulators.errors import bad_request
from service.emulators.openai.records import (
    CheckpointRecord,
    EventRecord,
    FileRecord,
    JobRecord,
    UploadRecord,
)


class HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=HasId)


def file_json(record: FileRecord) -> dict[str, Any]:
    data: dict[str, Any] = {
        "object": "file",
        "id": record.id,
        "bytes": record.size,
        "created_at": record.created_at,
        "filename": record.filename,
        "purpose": record.purpose,
        "status": "processed",  # deprecated field; files are processed synchronously nowadays
    }
    if record.expires_at is not None:  # the spec does not allow null here: omit instead
        data["expires_at"] = record.expires_at
    return data


def job_json(job: JobRecord, organization_id: str) -> dict[str, Any]:
    hyperparameters = dict(job.hyperparameters)
    return {
        "object": "fine_tuning.job",
        "id": job.id,
        "model": job.model,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "fine_tuned_model": job.fine_tuned_model,
        "organization_id": organization_id,
        "result_files": list(job.result_files),
        "status": job.status,
        "validation_file": job.validation_file,
        "training_file": job.training_file,
        # "only returned for supervised jobs": real DPO jobs answer null here
        "hyperparameters": hyperparameters if job.method == "supervised" else None,
        "trained_tokens": job.trained_tokens,
        "error": job.error,
        "user_provided_suffix": job.suffix,
        "seed": job.seed,
        "estimated_finish": job.estimated_finish,
        "integrations": job.integrations or [],
        "metadata": job.metadata,
        "method": {"type": job.method, job.method: {"hyperparameters": hyperparameters}},
    }


def event_json(event: EventRecord) -> dict[str, Any]:
    return {
        "object": "fine_tuning.job.event",
        "id": event.id,
        "created_at": event.created_at,
        "level": event.level,
        "message": event.message,
        "type": event.type,
        "data": event.data,
    }


def checkpoint_json(job: JobRecord, checkpoint: CheckpointRecord) -> dict[str, Any]:
    return {
        "object": "fine_tuning.job.checkpoint",
        "id": checkpoint.id,
        "created_at": checkpoint.created_at,
        "fine_tuned_model_checkpoint": checkpoint.model,
        "fine_tuning_job_id": job.id,
        "step_number": checkpoint.step,
        "metrics": checkpoint.metrics,
    }


def upload_json(upload: UploadRecord) -> dict[str, Any]:
    return {
        "object": "upload",
        "id": upload.id,
        "bytes": upload.expected_bytes,
        "created_at": upload.created_at,
        "expires_at": upload.expires_at,
        "filename": upload.filename,
        "purpose": upload.purpose,
        "status": upload.status,
        "file": None if upload.file is None else file_json(upload.file),
    }


def part_json(upload: UploadRecord, part_id: str, created_at: int) -> dict[str, Any]:
    return {
        "object": "upload.part",
        "id": part_id,
        "created_at": created_at,
        "upload_id": upload.id,
    }


def parse_limit(limit: int | None, *, default: int, maximum: int) -> int:
    """`limit` as OpenAI reads it: default when absent, 400 below 1, capped at `maximum`."""
    if limit is None:
        return default
    if limit < 1:
        raise bad_request("Invalid value for 'limit': must be at least 1.", param="limit")
    return min(limit, maximum)


def paginate(items: Sequence[T], after: str | None, limit: int) -> tuple[list[T], bool]:
    """The page after the item whose id is `after` (an unknown cursor gives an empty page)."""
    start = 0
    if after is not None:
        position = next((index for index, item in enumerate(items) if item.id == after), None)
        start = len(items) if position is None else position + 1
    return list(items[start : start + limit]), start + limit < len(items)


def list_json(
    data: list[dict[str, Any]], has_more: bool, *, with_ids: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {"object": "list", "data": data, "has_more": has_more}
    if with_ids:
        body["first_id"] = data[0]["id"] if data else None
        body["last_id"] = data[-1]["id"] if data else None
    return body
