"""/v1/pipelines: SFT, then DPO on the SFT model, in one request."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from service.api.deps import Caller, Session, Then, resources, team_scope
from service.api.idempotency import run_once
from service.api.inputs import check_choices
from service.api.openapi import IDEMPOTENT, problems, query_choices
from service.api.pagination import DEFAULT_LIMIT, Limit, id_cursor_query, id_page
from service.api.schemas import HyperparameterValue, Page
from service.db.pipeline_models import Pipeline
from service.pipelines import service as pipelines
from service.pipelines.service import PipelineRequest
from service.pipelines.states import PipelineStatus
from service.wiring import JOB_HOOKS


class SftStage(msgspec.Struct, forbid_unknown_fields=True):
    fraction: float = 1.0
    hyperparameters: dict[str, HyperparameterValue] | None = None


class DpoStage(msgspec.Struct, forbid_unknown_fields=True):
    hyperparameters: dict[str, HyperparameterValue] | None = None


class PipelineCreate(msgspec.Struct, forbid_unknown_fields=True):
    dataset_id: str
    model: str
    provider: str | None = None
    sft: SftStage | None = None
    dpo: DpoStage | None = None
    suffix: str | None = None
    seed: int | None = None
    metadata: dict[str, str] | None = None


class SftStageOut(msgspec.Struct):
    fraction: float
    hyperparameters: dict[str, Any]


class DpoStageOut(msgspec.Struct):
    hyperparameters: dict[str, Any]


class PipelineError(msgspec.Struct):
    code: str
    message: str


class PipelineOut(msgspec.Struct):
    id: str
    status: str
    dataset_id: str
    sft_dataset_id: str
    sft_job_id: str
    dpo_job_id: str | None
    provider: str
    model: str
    fine_tuned_model: str | None
    failed_stage: str | None
    error: PipelineError | None
    suffix: str | None
    seed: int | None
    metadata: dict[str, Any]
    sft: SftStageOut
    dpo: DpoStageOut
    cancel_requested_at: datetime | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    team: str


class PipelineController(Controller):
    path = "/v1/pipelines"
    tags = ["pipelines"]

    @post("/", status_code=202, responses=problems(422, IDEMPOTENT))
    async def create_pipeline(
        self,
        request: Request[Any, Any, State],
        session: Session,
        after_commit: Then,
        principal: Caller,
        data: JSONBody[PipelineCreate],
    ) -> Response[PipelineOut]:
        """SFT, then DPO from the SFT model. From a DPO dataset, builds an SFT dataset (the input
        messages + the preferred output, for `sft.fraction` of the examples, chosen reproducibly
        by `seed`), validates and stores it as a dataset of its own, and starts the SFT job; the
        DPO job starts when it succeeds. 422 when fewer than 10 examples would be selected.
        With an `Idempotency-Key` header, a retry gets the first response again."""
        res = resources(request.app.state)

        async def create() -> Response[PipelineOut]:
            pipeline = await pipelines.create(
                session,
                res.blobs,
                principal.team,
                pipeline_request(data),
                lease=res.settings_lease,
                destination=res.catalogue.destination(data.provider, res.today()),
                validation=res.validation,
            )
            # A replay does not enqueue again.
            after_commit.then(res.wakeups.advance_job, pipeline.sft_job_id)
            return Response(pipeline_out(pipeline), status_code=202)

        return await run_once(request, session, after_commit, principal.team, create, body=data)

    @get("/", responses=problems(422))
    async def list_pipelines(
        self,
        session: Session,
        principal: Caller,
        status: Annotated[list[str] | None, query_choices(list(PipelineStatus))] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Annotated[str | None, id_cursor_query("pl_")] = None,
    ) -> Page:
        """Pipelines, newest first; `status` (repeatable) filters."""
        statuses = check_choices("status", status or (), PipelineStatus)
        return await id_page(
            lambda after, n: pipelines.list_page(
                session, team_scope(principal), statuses=statuses, cursor=after, limit=n
            ),
            prefix="pl_",
            cursor=cursor,
            limit=limit,
            present=pipeline_out,
        )

    @get("/{pipeline_id:str}")
    async def get_pipeline(
        self, session: Session, principal: Caller, pipeline_id: FromPath[str]
    ) -> PipelineOut:
        """One pipeline: its status, both jobs, the final model, or which stage failed and why."""
        return pipeline_out(await pipelines.get(session, team_scope(principal), pipeline_id))

    @post("/{pipeline_id:str}/cancel", status_code=202, responses=problems(409))
    async def cancel_pipeline(
        self,
        state: State,
        session: Session,
        after_commit: Then,
        principal: Caller,
        pipeline_id: FromPath[str],
    ) -> PipelineOut:
        """Cancel the running stage's job and never start the next stage; the pipeline is
        `cancelled` once OpenAI confirms. Idempotent; 409 when the pipeline has finished."""
        pipeline = await pipelines.request_cancel(
            session, team_scope(principal), pipeline_id, JOB_HOOKS
        )
        after_commit.then(resources(state).wakeups.advance_job, pipelines.stage_job_id(pipeline))
        return pipeline_out(pipeline)


def pipeline_request(data: PipelineCreate) -> PipelineRequest:
    sft = data.sft or SftStage()
    dpo = data.dpo or DpoStage()
    return PipelineRequest(
        dataset_id=data.dataset_id,
        model=data.model,
        provider=data.provider,
        sft_fraction=sft.fraction,
        sft_hyperparameters=dict(sft.hyperparameters or {}),
        dpo_hyperparameters=dict(dpo.hyperparameters or {}),
        suffix=data.suffix,
        seed=data.seed,
        metadata=dict(data.metadata or {}),
    )


def pipeline_out(pipeline: Pipeline) -> PipelineOut:
    error = None
    if pipeline.error_code is not None:
        error = PipelineError(pipeline.error_code, pipeline.error_message or "")
    return PipelineOut(
        id=pipeline.id,
        status=pipeline.status,
        dataset_id=pipeline.dataset_id,
        sft_dataset_id=pipeline.sft_dataset_id,
        sft_job_id=pipeline.sft_job_id,
        dpo_job_id=pipeline.dpo_job_id,
        provider=pipeline.provider,
        model=pipeline.model,
        fine_tuned_model=pipeline.fine_tuned_model,
        failed_stage=pipeline.failed_stage,
        error=error,
        suffix=pipeline.suffix,
        seed=pipeline.seed,
        metadata=pipeline.pipeline_metadata,
        sft=SftStageOut(pipeline.sft_fraction, pipeline.sft_hyperparameters),
        dpo=DpoStageOut(pipeline.dpo_hyperparameters),
        cancel_requested_at=pipeline.cancel_requested_at,
        created_at=pipeline.created_at,
        updated_at=pipeline.updated_at,
        finished_at=pipeline.finished_at,
        team=pipeline.team,
    )
