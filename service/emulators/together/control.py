"""Together's part of `/_emulator/*`: its counts and listings in `state` (under `"together"`),
and the controls under `/_emulator/together/...` that tests need (never faulted, no key):

- `POST /together/limit {"user_limit": dollars}`: the account's credit limit, which decides the
  estimate's `allowed_to_proceed` and a create's 402;
- `POST /together/jobs/{id}/status {"status": "paused_for_maintenance"}`: show a raw status the
  emulator does not know (the job stands still); `{"status": null}` puts it back;
- `POST /together/jobs/{id}/fail {"message": ...}`: end a job `error`, as an internal failure.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from litestar import Request, Router, post
from litestar.params import FromPath

from service.emulators.errors import bad_request
from service.emulators.together import lifecycle
from service.emulators.together.bodies import read_object
from service.emulators.together.deps import WorldDep
from service.emulators.together.fine_tunes import find_job, render
from service.emulators.together.state import TogetherWorld

STATE_KEY = "together"
DEFAULT_FAILURE = "Job failed due to an internal error. Please contact support."


def state(world: TogetherWorld) -> dict[str, Any]:
    """Counts and listings, so tests can assert e.g. one file per dataset and one job per job."""
    files = list(world.files.values())
    jobs = list(world.jobs.values())
    return {
        STATE_KEY: {
            "files": len(files),
            "jobs": len(jobs),
            "files_uploaded": sum(1 for record in files if record.uploaded),
            "jobs_by_status": dict(Counter(job.status for job in jobs)),
            "user_limit": world.user_limit,
            "file_list": [
                {
                    "id": record.id,
                    "filename": record.filename,
                    "purpose": record.purpose,
                    "checksum": record.checksum,
                    "bytes": record.size,
                    "uploaded": record.uploaded,
                    "processed": record.processed,
                }
                for record in files
            ],
            "job_list": [
                {
                    "id": job.id,
                    "status": job.status,
                    "model": job.model,
                    "method": job.method,
                    "training_file": job.training_file,
                    "validation_file": job.validation_file,
                    "suffix": job.suffix,
                    "random_seed": job.random_seed,
                    "model_output_name": job.output_name,
                }
                for job in jobs
            ],
        }
    }


@post("/together/limit", status_code=200)
async def set_limit(request: Request[Any, Any, Any], world: WorldDep) -> dict[str, Any]:
    value = (await read_object(request)).get("user_limit")
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise bad_request(
            "user_limit must be a non-negative number of dollars.", param="user_limit"
        )
    world.user_limit = float(value)
    return {"user_limit": world.user_limit}


@post("/together/jobs/{job_id:str}/status", status_code=200)
async def set_status(
    request: Request[Any, Any, Any], world: WorldDep, job_id: FromPath[str]
) -> dict[str, Any]:
    status = (await read_object(request)).get("status")
    job = find_job(world, job_id)
    if status is None:
        lifecycle.thaw(world, job, world.now())
    elif isinstance(status, str) and status:
        lifecycle.freeze(world, job, world.now(), status)
    else:
        raise bad_request("status must be a non-empty string, or null to undo.", param="status")
    return render(world, job)


@post("/together/jobs/{job_id:str}/fail", status_code=200)
async def fail_job(
    request: Request[Any, Any, Any], world: WorldDep, job_id: FromPath[str]
) -> dict[str, Any]:
    message = (await read_object(request)).get("message") or DEFAULT_FAILURE
    job = find_job(world, job_id)
    lifecycle.fail(world, job, world.now(), str(message))
    return render(world, job)


def controls() -> list[Router]:
    return [Router(path="/", route_handlers=[set_limit, set_status, fail_job])]
