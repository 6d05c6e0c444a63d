"""`fine_tuning/jobs`: create, list, retrieve, cancel, pause, resume, events, checkpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromPath, FromQuery

from service.emulators.bodies import read_json_object
from service.emulators.errors import bad_request, not_found
from service.emulators.faults import COMMIT_BEFORE_DROP
from service.emulators.openai_compat import lifecycle
from service.emulators.openai_compat.deps import EmulatorDep
from service.emulators.openai_compat.params import CreateRequest, parse_create
from service.emulators.openai_compat.records import JobRecord
from service.emulators.openai_compat.state import Emulator
from service.emulators.openai_compat.wire import checkpoint_json, event_json, job_json
from service.emulators.paging import list_json, paginate, parse_limit


def find_job(emu: Emulator, job_id: str) -> JobRecord:
    job = emu.jobs.get(job_id)
    if job is None:
        raise not_found(f"Could not find fine-tuning job: {job_id}", param="fine_tuning_job_id")
    return job


def _check_training_input(emu: Emulator, file_id: str, param: str) -> None:
    record = emu.get_file(file_id)
    if record is None or record.purpose != "fine-tune":
        raise bad_request(f"invalid {param}: {file_id}", param=param)


def _new_job(emu: Emulator, request: CreateRequest, now: float) -> JobRecord:
    return JobRecord(
        id=emu.ids.job(),
        created_at=int(now),
        model=request.model,
        training_file=request.training_file,
        validation_file=request.validation_file,
        method=request.method,
        hyperparameters=dict(request.hyperparameters),
        suffix=request.suffix,
        seed=emu.ids.seed() if request.seed is None else request.seed,
        # a flavor that does not keep metadata still accepted it: the job answers null
        metadata=request.metadata if emu.flavor.keeps_metadata else None,
        integrations=request.integrations,
        extra=dict(request.extra),
    )


@post("/", status_code=200, opt={COMMIT_BEFORE_DROP: True})
async def create_job(request: Request[Any, Any, Any], emu: EmulatorDep) -> dict[str, Any]:
    """Create a job; bad parameters are 400s now, bad data fails the job later."""
    body = await read_json_object(request)
    refusal = emu.flavor.refuse_create(emu.settings)
    if refusal is not None:
        raise refusal
    create = parse_create(body, flavor=emu.flavor, produced_models=emu.models)
    _check_training_input(emu, create.training_file, "training_file")
    if create.validation_file is not None:
        _check_training_input(emu, create.validation_file, "validation_file")
    now = emu.now()
    job = _new_job(emu, create, now)
    emu.jobs[job.id] = job
    lifecycle.start(emu, job, now)
    return job_json(job, emu.organization_id)


def _metadata_filter(request: Request[Any, Any, Any]) -> Callable[[JobRecord], bool]:
    """`metadata[k]=v` (deepObject) must all match; `metadata=null` selects jobs without any."""
    params = request.query_params
    if params.get("metadata") == "null":
        return lambda job: not job.metadata
    wanted = {
        key[len("metadata[") : -1]: value
        for key, value in params.items()
        if key.startswith("metadata[") and key.endswith("]")
    }
    return lambda job: all((job.metadata or {}).get(k) == v for k, v in wanted.items())


@get("/")
async def list_jobs(
    request: Request[Any, Any, Any],
    emu: EmulatorDep,
    after: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> dict[str, Any]:
    """Jobs newest first, optionally filtered on metadata."""
    matches = _metadata_filter(request)
    jobs = [job for job in reversed(emu.jobs.values()) if matches(job)]
    page, has_more = paginate(jobs, after, parse_limit(limit, default=20, maximum=100))
    return list_json([job_json(job, emu.organization_id) for job in page], has_more)


@get("/{job_id:str}")
async def retrieve_job(emu: EmulatorDep, job_id: FromPath[str]) -> dict[str, Any]:
    """One job, as of now."""
    return job_json(find_job(emu, job_id), emu.organization_id)


@post("/{job_id:str}/cancel", status_code=200)
async def cancel_job(emu: EmulatorDep, job_id: FromPath[str]) -> dict[str, Any]:
    """Cancel a job that has not finished; a finished one is a 400."""
    job = find_job(emu, job_id)
    lifecycle.cancel(emu, job, emu.now())
    return job_json(job, emu.organization_id)


@post("/{job_id:str}/pause", status_code=200)
async def pause_job(emu: EmulatorDep, job_id: FromPath[str]) -> dict[str, Any]:
    """Pause a running job, keeping its progress."""
    job = find_job(emu, job_id)
    lifecycle.pause(emu, job, emu.now())
    return job_json(job, emu.organization_id)


@post("/{job_id:str}/resume", status_code=200)
async def resume_job(emu: EmulatorDep, job_id: FromPath[str]) -> dict[str, Any]:
    """Resume a paused job: it queues again, then runs from where it stopped."""
    job = find_job(emu, job_id)
    lifecycle.resume(emu, job, emu.now())
    return job_json(job, emu.organization_id)


@get("/{job_id:str}/events")
async def list_events(
    emu: EmulatorDep,
    job_id: FromPath[str],
    after: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> dict[str, Any]:
    """Events newest first; `after` is the id of the last event of the previous page."""
    events = list(reversed(find_job(emu, job_id).events))
    page, has_more = paginate(events, after, parse_limit(limit, default=20, maximum=1000))
    return list_json([event_json(event) for event in page], has_more)


@get("/{job_id:str}/checkpoints")
async def list_checkpoints(
    emu: EmulatorDep,
    job_id: FromPath[str],
    after: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
) -> dict[str, Any]:
    """The kept checkpoints (last three epochs), newest first."""
    job = find_job(emu, job_id)
    checkpoints = list(reversed(job.checkpoints))
    page, has_more = paginate(checkpoints, after, parse_limit(limit, default=10, maximum=100))
    return list_json([checkpoint_json(job, c) for c in page], has_more, with_ids=True)


def jobs_router() -> Router:
    return Router(
        path="/fine_tuning/jobs",
        route_handlers=[
            create_job,
            list_jobs,
            retrieve_job,
            cancel_job,
            pause_job,
            resume_job,
            list_events,
            list_checkpoints,
        ],
    )
