"""/v1/jobs: create, list, read, follow, cancel."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.deps import AfterCommit, Caller, Session, Then, resources, team_scope
from service.api.idempotency import run_once
from service.api.inputs import check_choices, check_date_times
from service.api.openapi import IDEMPOTENT, problems, query_choices
from service.api.pagination import (
    DEFAULT_LIMIT,
    Limit,
    SeqCursor,
    check_limit,
    id_cursor_query,
    id_page,
    seq_cursor,
    split_page,
)
from service.api.schemas import JobCreate, JobOut, Page, event_out, job_out, job_out_row
from service.auth.service import Principal
from service.jobs import service as jobs
from service.jobs.read_repository import JobFilters
from service.jobs.service import JobRequest
from service.jobs.states import JobStatus
from service.wiring import JOB_HOOKS


class JobController(Controller):
    path = "/v1/jobs"
    tags = ["jobs"]

    @post("/", status_code=202, responses=problems(422, IDEMPOTENT))
    async def create_job(
        self,
        request: Request[Any, Any, State],
        session: Session,
        after_commit: Then,
        principal: Caller,
        data: JSONBody[JobCreate],
    ) -> Response[JobOut]:
        """Accept a fine-tuning job (DPO by default) for `provider` (default: `GET
        /v1/providers`' `default_provider`). It is `pending` until a worker has uploaded the
        dataset and created the job at the provider. 422 for an unknown or unconfigured
        provider, a model it does not tune, a hyperparameter it does not take, or a provider
        past its end date. With an `Idempotency-Key` header, a retry gets the first response
        again (`Idempotent-Replayed: true`)."""
        res = resources(request.app.state)

        async def create() -> Response[JobOut]:
            job = await jobs.create(
                session,
                principal.team,
                job_request(data),
                lease=res.settings_lease,
                destination=res.catalogue.destination(data.provider, res.today()),
            )
            after_commit.then(res.wakeups.advance_job, job.id)  # a replay does not enqueue again
            return Response(job_out(job), status_code=202)

        return await run_once(request, session, after_commit, principal.team, create, body=data)

    @get("/", responses=problems(422))
    async def list_jobs(
        self,
        request: Request[Any, Any, State],
        principal: Caller,
        status: Annotated[list[str] | None, query_choices(list(JobStatus))] = None,
        provider: FromQuery[str | None] = None,
        model: FromQuery[str | None] = None,
        dataset_id: FromQuery[str | None] = None,
        created_after: FromQuery[datetime | None] = None,
        created_before: FromQuery[datetime | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Annotated[str | None, id_cursor_query("job_")] = None,
    ) -> Page:
        """Jobs, newest first. Filters: `status` (repeatable), `provider`, `model`,
        `dataset_id`, `created_after`, `created_before`, `metadata[key]=value`."""
        check_date_times(request, "created_after", "created_before")
        filters = JobFilters(
            team=team_scope(principal),
            statuses=check_choices("status", status or (), JobStatus),
            provider=provider,
            model=model,
            dataset_id=dataset_id,
            created_after=created_after,
            created_before=created_before,
            metadata=metadata_filters(request),
        )
        reader = resources(request.app.state).reader
        return await id_page(
            lambda after, n: jobs.list_page(reader, filters, cursor=after, limit=n),
            prefix="job_",
            cursor=cursor,
            limit=limit,
            present=job_out_row,
        )

    @get("/{job_id:str}")
    async def get_job(self, state: State, principal: Caller, job_id: FromPath[str]) -> JobOut:
        """One job: status, OpenAI ids, the fine-tuned model once it exists, the error if any."""
        reader = resources(state).reader  # not a dependency: two would resolve in a task group
        return job_out_row(await jobs.read(reader, team_scope(principal), job_id))

    @get("/{job_id:str}/events")
    async def list_events(
        self,
        session: Session,
        principal: Caller,
        job_id: FromPath[str],
        limit: Limit = DEFAULT_LIMIT,
        cursor: SeqCursor = None,
    ) -> Page:
        """Our own transitions and the mirrored OpenAI events, oldest first."""
        rows = await jobs.events_page(
            session,
            team_scope(principal),
            job_id,
            after_seq=seq_cursor(cursor),
            limit=check_limit(limit) + 1,
        )
        page, next_cursor = split_page(rows, limit, lambda row: str(row.seq))
        return Page([event_out(row) for row in page], next_cursor)

    @post("/{job_id:str}/cancel", status_code=202, responses=problems(409))
    async def cancel_job(
        self,
        state: State,
        session: Session,
        after_commit: Then,
        principal: Caller,
        job_id: FromPath[str],
    ) -> JobOut:
        """Ask OpenAI to cancel: `cancelling` until it confirms. Idempotent; 409 when the job
        has already finished."""
        job = await jobs.request_cancel(session, team_scope(principal), job_id, JOB_HOOKS)
        after_commit.then(resources(state).wakeups.advance_job, job.id)
        return job_out(job)

    @post("/{job_id:str}/pause", status_code=202, responses=problems(409))
    async def pause_job(
        self,
        state: State,
        session: Session,
        after_commit: Then,
        principal: Caller,
        job_id: FromPath[str],
    ) -> JobOut:
        """Pause a running job at OpenAI (a worker carries it out); 409 unless running."""
        return await _request(state, session, after_commit, principal, job_id, "pause")

    @post("/{job_id:str}/resume", status_code=202, responses=problems(409))
    async def resume_job(
        self,
        state: State,
        session: Session,
        after_commit: Then,
        principal: Caller,
        job_id: FromPath[str],
    ) -> JobOut:
        """Resume a paused job (a worker carries it out); 409 unless paused."""
        return await _request(state, session, after_commit, principal, job_id, "resume")


async def _request(
    state: State,
    session: AsyncSession,
    after_commit: AfterCommit,
    principal: Principal,
    job_id: str,
    action: str,
) -> JobOut:
    job = await jobs.request_action(session, team_scope(principal), job_id, action)
    after_commit.then(resources(state).wakeups.advance_job, job.id)
    return job_out(job)


def job_request(data: JobCreate) -> JobRequest:
    return JobRequest(
        training_dataset_id=data.training_dataset_id,
        model=data.model,
        provider=data.provider,
        method=data.method,
        validation_dataset_id=data.validation_dataset_id,
        hyperparameters=dict(data.hyperparameters or {}),
        suffix=data.suffix,
        seed=data.seed,
        metadata=dict(data.metadata or {}),
    )


def metadata_filters(request: Request[Any, Any, Any]) -> dict[str, str]:
    """`metadata[key]=value` query parameters (the deepObject style OpenAI uses too)."""
    return {
        key[len("metadata[") : -1]: value
        for key, value in request.query_params.items()
        if key.startswith("metadata[") and key.endswith("]") and len(key) > len("metadata[]")
    }
