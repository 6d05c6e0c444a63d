"""`/v1/fine-tunes`: create, list (all jobs, newest first, no paging), retrieve, cancel, delete,
events (no cursor), checkpoints, metrics, price estimates and the models' limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, Router, delete, get, post
from litestar.params import FromPath, FromQuery

from service.emulators.faults import COMMIT_BEFORE_DROP
from service.emulators.together import lifecycle
from service.emulators.together.bodies import read_object
from service.emulators.together.dataset_rules import first_problem
from service.emulators.together.deps import WorldDep
from service.emulators.together.errors import insufficient_balance, invalid, not_found
from service.emulators.together.models import CATALOGUE, ModelNotFoundError, find_model, limits_json
from service.emulators.together.params import JobParams, file_param_error, parse_job
from service.emulators.together.pricing import Estimate, count_tokens, estimate
from service.emulators.together.records import FileRecord, JobRecord
from service.emulators.together.state import TogetherWorld
from service.emulators.together.wire import checkpoint_json, event_json, job_json


def find_job(world: TogetherWorld, job_id: str) -> JobRecord:
    job = world.jobs.get(job_id)
    if job is None:
        raise not_found(f"Fine-tune job {job_id} not found.")
    return job


def render(world: TogetherWorld, job: JobRecord) -> dict[str, Any]:
    queued = sorted(
        (other for other in world.jobs.values() if other.status == "queued"),
        key=lambda other: other.created_at,
    )
    depth = next((index for index, other in enumerate(queued) if other is job), 0)
    return job_json(
        job,
        user_id=f"{world.account}-user",
        now=world.now(),
        queue_depth=depth,
        param_count=CATALOGUE[job.model].param_count,
    )


def _usable_file(world: TogetherWorld, param: str, file_id: str) -> FileRecord:
    record = world.files.get(file_id)
    if record is None:
        raise file_param_error(param, file_id, "no such file")
    if not record.uploaded:
        raise file_param_error(param, file_id, "its content was never uploaded")
    if record.purpose != "fine-tune":
        raise file_param_error(param, file_id, f"its purpose is {record.purpose}, not fine-tune")
    return record


def _price(world: TogetherWorld, params: JobParams) -> Estimate:
    training = _usable_file(world, "training_file", params.training_file)
    validation = (
        None
        if params.validation_file is None
        else _usable_file(world, "validation_file", params.validation_file)
    )
    assert training.content is not None
    return estimate(
        params.spec,
        params.training_type["type"],
        training_tokens=count_tokens(training.content),
        validation_tokens=0 if validation is None else count_tokens(validation.content or b""),
        n_epochs=params.n_epochs,
        n_evals=params.n_evals,
    )


def _output_name(world: TogetherWorld, params: JobParams) -> str:
    base = params.spec.name.split("/")[-1]
    middle = f"-{params.suffix}" if params.suffix else ""
    return f"{world.account}/{base}{middle}-{world.ids.model_tag()}"


def _new_job(world: TogetherWorld, params: JobParams, price: Estimate, at: float) -> JobRecord:
    return JobRecord(
        id=world.ids.job(),
        created_at=at,
        model=params.spec.name,
        training_file=params.training_file,
        validation_file=params.validation_file,
        method=params.method,
        training_method=params.training_method,
        training_type=params.training_type,
        n_epochs=params.n_epochs,
        n_checkpoints=params.n_checkpoints,
        n_evals=params.n_evals,
        batch_size=params.batch_size,
        learning_rate=params.learning_rate,
        suffix=params.suffix,
        random_seed=params.random_seed,
        output_name=_output_name(world, params),
        quote=price,
        settings=params.settings,
        from_checkpoint=params.from_checkpoint,
    )


@post("/", status_code=200, opt={COMMIT_BEFORE_DROP: True})
async def create_job(request: Request[Any, Any, Any], world: WorldDep) -> dict[str, Any]:
    """Create a job; bad parameters are 400s now, a bad file ends the job `user_error` later."""
    params = parse_job(await read_object(request), world.find_job)
    price = _price(world, params)
    if price.price > world.user_limit:
        raise insufficient_balance(price.price, world.user_limit)
    now = world.now()
    job = _new_job(world, params, price, now)
    world.jobs[job.id] = job
    lifecycle.start(world, job, now)
    return render(world, job)


@get("/")
async def list_jobs(world: WorldDep) -> dict[str, Any]:
    """Every job of the account, newest first; Together's list takes no paging or filter."""
    return {"data": [render(world, job) for job in reversed(world.jobs.values())]}


@get("/{job_id:str}")
async def retrieve_job(world: WorldDep, job_id: FromPath[str]) -> dict[str, Any]:
    return render(world, find_job(world, job_id))


@delete("/{job_id:str}", status_code=200)
async def delete_job(
    world: WorldDep, job_id: FromPath[str], force: FromQuery[bool] = False
) -> dict[str, Any]:
    """Forget a job (`force` is deprecated and unused, as at Together)."""
    job = find_job(world, job_id)
    world.unschedule(job)
    del world.jobs[job.id]
    return {"message": f"Fine-tune job {job.id} deleted"}


@post("/{job_id:str}/cancel", status_code=200)
async def cancel_job(world: WorldDep, job_id: FromPath[str]) -> dict[str, Any]:
    """`cancel_requested` now, `cancelled` a phase later; an ended job is a 400."""
    job = find_job(world, job_id)
    lifecycle.cancel(world, job, world.now())
    return render(world, job)


@get("/{job_id:str}/events")
async def list_events(world: WorldDep, job_id: FromPath[str]) -> dict[str, Any]:
    """Every event, oldest first, with no cursor."""
    return {"data": [event_json(event) for event in find_job(world, job_id).events]}


@get("/{job_id:str}/checkpoints")
async def list_checkpoints(world: WorldDep, job_id: FromPath[str]) -> dict[str, Any]:
    """The checkpoints saved so far, newest first; the final one once the job completed."""
    checkpoints = reversed(find_job(world, job_id).checkpoints)
    return {"data": [checkpoint_json(checkpoint) for checkpoint in checkpoints]}


def _timestamp(value: str | None, param: str) -> float | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise invalid(f"{param} must be an ISO 8601 timestamp.", param=param) from None


@get("/{job_id:str}/metrics")
async def list_metrics(
    world: WorldDep,
    job_id: FromPath[str],
    global_step_from: FromQuery[int | None] = None,
    global_step_to: FromQuery[int | None] = None,
    logged_at_from: FromQuery[str | None] = None,
    logged_at_to: FromQuery[str | None] = None,
    resolution: FromQuery[int | None] = None,
) -> dict[str, Any]:
    """The metrics logged so far, in step order, filtered; `resolution` samples evenly."""
    job = find_job(world, job_id)
    low = _timestamp(logged_at_from, "logged_at_from")
    high = _timestamp(logged_at_to, "logged_at_to")
    rows = [
        row
        for row, at in zip(job.metrics, job.metrics_logged_at, strict=True)
        if (global_step_from is None or row["train/global_step"] >= global_step_from)
        and (global_step_to is None or row["train/global_step"] <= global_step_to)
        and (low is None or at >= low)
        and (high is None or at <= high)
    ]
    if resolution is not None:
        if resolution < 1:
            raise invalid("resolution must be at least 1.", param="resolution")
        if len(rows) > resolution:
            rows = (
                [
                    rows[(index * (len(rows) - 1)) // max(1, resolution - 1)]
                    for index in range(resolution)
                ]
                if resolution > 1
                else [rows[-1]]
            )
    return {"metrics": rows}


def _estimate_unavailable(world: TogetherWorld, body: dict[str, Any], method: str) -> str | None:
    """Why no estimate can be given for these files (Together's reasons), or None."""
    for param, not_validated, bad in (
        ("training_file", "train_file_not_validated", "train_file_invalid"),
        ("validation_file", "eval_file_not_validated", "eval_file_invalid"),
    ):
        file_id = body.get(param) or None
        if file_id is None:
            continue
        record = world.files.get(file_id)
        if record is None:
            raise file_param_error(param, str(file_id), "no such file")
        if record.content is None:
            return not_validated
        if first_problem(record.content, method) is not None:
            return bad
    return None


@post("/estimate-price", status_code=200)
async def estimate_price(request: Request[Any, Any, Any], world: WorldDep) -> dict[str, Any]:
    """What the job would cost, and whether the account's credit limit lets it proceed."""
    body = await read_object(request)
    params = parse_job(body, world.find_job)
    reason = _estimate_unavailable(world, body, params.method)
    if reason is not None:
        return {"estimation_available": False, "unavailable_reason": reason}
    price = _price(world, params)
    return {
        "estimation_available": True,
        "estimated_total_price": price.price,
        "allowed_to_proceed": price.price <= world.user_limit,
        "user_limit": world.user_limit,
        "estimated_train_token_count": price.train_tokens,
        "estimated_eval_token_count": price.eval_tokens,
    }


@get("/models/supported")
async def supported_models() -> dict[str, Any]:
    """The names of the models the account can fine-tune."""
    return {"models": sorted(CATALOGUE)}


@get("/models/limits")
async def model_limits(world: WorldDep, model_name: FromQuery[str | None] = None) -> dict[str, Any]:
    """A model's limits; an unknown model is a 404 with a bare `message`. A job of the account
    (its id or its output model's name) stands for the model it trained: the SDK asks for the
    limits of a `from_checkpoint` job that way."""
    if not model_name:
        raise invalid("model_name is required.", param="model_name")
    parent = world.find_job(model_name)
    spec = find_model(model_name if parent is None else parent.model)
    if spec is None:
        raise ModelNotFoundError(model_name)
    return limits_json(spec)


def fine_tunes_router() -> Router:
    return Router(
        path="/v1/fine-tunes",
        route_handlers=[
            create_job,
            list_jobs,
            retrieve_job,
            delete_job,
            cancel_job,
            list_events,
            list_checkpoints,
            list_metrics,
            estimate_price,
            supported_models,
            model_limits,
        ],
    )
