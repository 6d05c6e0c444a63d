"""Records as Together's JSON objects, with the names the SDK's types read (`FileType`,
`Processed`, `model_output_name`, ...); timestamps of jobs, events and checkpoints are ISO 8601
strings, files' are epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from service.emulators.together.records import CheckpointRecord, EventRecord, FileRecord, JobRecord


def iso(at: float | None) -> str | None:
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def file_json(record: FileRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "object": "file",
        "created_at": record.created_at,
        "filename": record.filename,
        "bytes": record.size,
        "purpose": record.purpose,
        "FileType": record.file_type,
        "Processed": record.processed,
        "processing_status": "COMPLETED" if record.processed else "PENDING",
    }


def job_json(
    job: JobRecord, *, user_id: str, now: float, queue_depth: int, param_count: int
) -> dict[str, Any]:
    seconds = None if job.due_at is None else max(0, round(job.due_at - now))
    plan = job.plan
    lora = job.training_type["type"] == "Lora"
    return {
        **job.settings,
        "id": job.id,
        "object": "finetune",
        "status": job.status,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "started_at": iso(job.started_at),
        "user_id": user_id,
        "owner_address": user_id,
        "model": job.model,
        "model_output_name": job.output_name,
        "adapter_output_name": f"{job.output_name}-adapter" if lora else None,
        "model_output_path": job.model_output_path,
        "training_file": job.training_file,
        "validation_file": job.validation_file,
        "suffix": job.suffix,
        "random_seed": job.random_seed,
        "from_checkpoint": job.from_checkpoint,
        "n_epochs": job.n_epochs,
        "n_checkpoints": job.n_checkpoints,
        "n_evals": job.n_evals,
        "batch_size": job.batch_size,
        "learning_rate": job.learning_rate,
        "training_method": dict(job.training_method),
        "training_type": dict(job.training_type),
        "train_on_inputs": job.training_method.get("train_on_inputs"),
        "total_price": job.total_price,
        "token_count": job.token_count,
        "param_count": param_count,
        "total_steps": None if plan is None else plan.total_steps,
        "steps_completed": job.steps_completed,
        "epochs_completed": job.epochs_completed,
        "evals_completed": job.evals_completed,
        "eval_steps": None,
        "queue_depth": queue_depth,
        "progress": {"estimate_available": seconds is not None, "seconds_remaining": seconds or 0},
        "events": [event_json(event) for event in job.events],
    }


def event_json(event: EventRecord) -> dict[str, Any]:
    return {
        "object": "fine-tune-event",
        "created_at": iso(event.created_at),
        "level": event.level,
        "message": event.message,
        "type": event.type,
        "param_count": event.param_count,
        "token_count": event.token_count,
        "total_steps": event.total_steps,
        "wandb_url": None,
        "step": event.step,
        "checkpoint_path": event.checkpoint_path,
        "model_path": event.model_path,
        "training_offset": None,
        "hash": event.hash,
    }


def checkpoint_json(checkpoint: CheckpointRecord) -> dict[str, Any]:
    label = (
        f"Intermediate (step {checkpoint.step})"
        if checkpoint.checkpoint_type == "Intermediate"
        else f"Final {checkpoint.checkpoint} (step {checkpoint.step})"
    )
    return {
        "step": checkpoint.step,
        "created_at": iso(checkpoint.created_at),
        "path": checkpoint.path,
        "checkpoint_type": label,
        "checkpoint": checkpoint.checkpoint,
    }
