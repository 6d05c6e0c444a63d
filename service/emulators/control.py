"""`/_emulator/*`: test controls outside OpenAI's API; never faulted, no key needed."""

from __future__ import annotations

from collections import Counter
from typing import Any

from litestar import Request, Router, get, post
from litestar.types import BeforeRequestHookHandler

from service.emulators.bodies import read_json_object
from service.emulators.errors import bad_request
from service.emulators.openai.deps import EmulatorDep, WebhooksDep
from service.emulators.openai.records import FileRecord, JobRecord


@get("/state")
async def state(emu: EmulatorDep, webhooks: WebhooksDep) -> dict[str, Any]:
    """Counts and listings, so tests can assert e.g. one file per dataset and one job per job."""
    files = emu.live_files()
    jobs = list(emu.jobs.values())
    return {
        "files": len(files),
        "jobs": len(jobs),
        "uploads": len(emu.uploads),
        "files_by_purpose": dict(Counter(record.purpose for record in files)),
        "jobs_by_status": dict(Counter(job.status for job in jobs)),
        "file_list": [_file_summary(record) for record in files],
        "job_list": [_job_summary(job) for job in jobs],
        "settings": emu.settings.as_json(),
        "faults_injected": dict(emu.faults_injected),
        "requests": dict(emu.requests),
        "webhook_deliveries": webhooks.as_json(),
    }


def _file_summary(record: FileRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "filename": record.filename,
        "purpose": record.purpose,
        "bytes": record.size,
        "created_at": record.created_at,
    }


def _job_summary(job: JobRecord) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "model": job.model,
        "method": job.method,
        "training_file": job.training_file,
        "validation_file": job.validation_file,
        "suffix": job.suffix,
        "metadata": job.metadata,
        "fine_tuned_model": job.fine_tuned_model,
        "created_at": job.created_at,
    }


@get("/faults")
async def read_faults(emu: EmulatorDep) -> dict[str, Any]:
    """The current run-time knobs."""
    return emu.settings.as_json()


@post("/faults", status_code=200)
async def change_faults(request: Request[Any, Any, Any], emu: EmulatorDep) -> dict[str, Any]:
    """Change any of fault_rate, faults, slow_seconds, retry_after_seconds,
    training_not_available, phase_seconds, webhook_modes; answers the new settings."""
    patch = await read_json_object(request)
    try:
        return emu.update_settings(patch).as_json()
    except ValueError as exc:
        raise bad_request(str(exc)) from None


@post("/reset", status_code=200)
async def reset(emu: EmulatorDep, webhooks: WebhooksDep) -> dict[str, Any]:
    """Forget everything (files, uploads, jobs, deliveries) and restore the start-up settings."""
    await webhooks.reset()
    emu.reset()
    return {"reset": True}


def control_router(*, before_request: BeforeRequestHookHandler) -> Router:
    return Router(
        path="/_emulator",
        route_handlers=[state, read_faults, change_faults, reset],
        before_request=before_request,
    )
