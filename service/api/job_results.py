"""/v1/jobs/{id}/checkpoints and /metrics: what a job produced, mirrored from OpenAI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, get
from litestar.params import FromPath

from service.api.deps import Caller, Session, team_scope
from service.api.pagination import (
    DEFAULT_LIMIT,
    Limit,
    SeqCursor,
    check_limit,
    seq_cursor,
    split_page,
)
from service.api.schemas import Page
from service.jobs import service as jobs


class CheckpointOut(msgspec.Struct):
    id: str
    step: int
    fine_tuned_model_checkpoint: str
    metrics: dict[str, Any]
    created_at: datetime


class MetricOut(msgspec.Struct):
    step: int
    values: dict[str, Any]


class JobResultsController(Controller):
    path = "/v1/jobs"
    tags = ["jobs"]

    @get("/{job_id:str}/checkpoints")
    async def checkpoints(self, session: Session, principal: Caller, job_id: FromPath[str]) -> Page:
        """Checkpoints OpenAI kept (the last three epochs), oldest first, with their metrics."""
        rows = await jobs.checkpoints(session, team_scope(principal), job_id)
        data = [
            CheckpointOut(r.id, r.step, r.fine_tuned_model_checkpoint, r.metrics, r.created_at)
            for r in rows
        ]
        return Page(data, None)

    @get("/{job_id:str}/metrics")
    async def metrics(
        self,
        session: Session,
        principal: Caller,
        job_id: FromPath[str],
        limit: Limit = DEFAULT_LIMIT,
        cursor: SeqCursor = None,
    ) -> Page:
        """Per-step training metrics (from metrics events while running, completed from the
        result file when the job ends), by step."""
        rows = await jobs.metrics_page(
            session,
            team_scope(principal),
            job_id,
            after_step=seq_cursor(cursor),
            limit=check_limit(limit) + 1,
        )
        page, next_cursor = split_page(rows, limit, lambda row: str(row.step))
        return Page([MetricOut(row.step, row.values) for row in page], next_cursor)
