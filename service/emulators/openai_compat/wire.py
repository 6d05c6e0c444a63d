"""Records as the API's JSON objects; list bodies and their cursors are `emulators.paging`."""

from __future__ import annotations

from typing import Any

from service.emulators.openai_compat.records import (
    CheckpointRecord,
    EventRecord,
    FileRecord,
    JobRecord,
    UploadRecord,
)


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
        **job.extra,  # the flavor's own fields, under the names they were sent with
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
