"""What each console page reads, through the API's own services and presenters: the same team
scope, the same rows, the same wire shapes (service.api.schemas) as `GET /v1/…` answers. No SQL
here: every query is a domain service's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.api.job_results import CheckpointOut
from service.api.pagination import DEFAULT_LIMIT, id_page
from service.api.pipelines import PipelineOut, pipeline_out
from service.api.schemas import (
    DatasetOut,
    EventOut,
    JobOut,
    Page,
    dataset_out,
    event_out,
    job_out_row,
)
from service.console.filters import JobQuery
from service.datasets import service as datasets
from service.db.models import Dataset
from service.db.reader import Reader
from service.jobs import service as jobs
from service.jobs.read_repository import JobFilters
from service.pipelines import service as pipelines

# A page reads at most this many of a job's events and steps: the timeline and the chart of a
# very long run stay a page, not a download (the API pages through the rest).
MAX_EVENTS = 5000
MAX_STEPS = 20000
_BATCH = 1000


@dataclass(frozen=True)
class JobDetail:
    job: JobOut
    events: list[EventOut]
    more_events: bool  # MAX_EVENTS reached
    checkpoints: list[CheckpointOut]
    steps: list[tuple[int, dict[str, Any]]]


async def job_page(reader: Reader, team: str | None, query: JobQuery, cursor: str | None) -> Page:
    filters = JobFilters(
        team=team,
        statuses=query.statuses,
        provider=query.provider,
        model=query.model,
        dataset_id=query.dataset_id,
        metadata=query.metadata,
    )
    return await id_page(
        lambda after, n: jobs.list_page(reader, filters, cursor=after, limit=n),
        prefix="job_",
        cursor=cursor,
        limit=DEFAULT_LIMIT,
        present=job_out_row,
    )


async def job_detail(
    session: AsyncSession, reader: Reader, team: str | None, job_id: str
) -> JobDetail:
    job = job_out_row(await jobs.read(reader, team, job_id))  # 404 first, as the API
    events: list[EventOut] = []
    while len(events) < MAX_EVENTS:
        after = events[-1].sequence if events else 0
        batch = await jobs.events_page(session, team, job_id, after_seq=after, limit=_BATCH)
        events += [event_out(row) for row in batch]
        if len(batch) < _BATCH:
            break
    checkpoints = [
        CheckpointOut(r.id, r.step, r.fine_tuned_model_checkpoint, r.metrics, r.created_at)
        for r in await jobs.checkpoints(session, team, job_id)
    ]
    return JobDetail(
        job,
        events[:MAX_EVENTS],
        len(events) >= MAX_EVENTS,
        checkpoints,
        await _all_steps(session, team, job_id),
    )


async def _all_steps(
    session: AsyncSession, team: str | None, job_id: str
) -> list[tuple[int, dict[str, Any]]]:
    steps: list[tuple[int, dict[str, Any]]] = []
    while len(steps) < MAX_STEPS:
        after = steps[-1][0] if steps else 0
        batch = await jobs.metrics_page(session, team, job_id, after_step=after, limit=_BATCH)
        steps += [(row.step, row.values) for row in batch]
        if len(batch) < _BATCH:
            break
    return steps


async def dataset_page(session: AsyncSession, team: str | None, cursor: str | None) -> Page:
    async def fetch(after: str | None, n: int) -> list[tuple[Dataset, dict[str, str]]]:
        rows = await datasets.list_page(session, team, cursor=after, limit=n)
        files = await datasets.remote_files(session, [row.id for row in rows])
        return [(row, files[row.id]) for row in rows]

    return await id_page(
        fetch, prefix="ds_", cursor=cursor, limit=DEFAULT_LIMIT, present=lambda p: dataset_out(*p)
    )


async def dataset(
    session: AsyncSession, team: str | None, dataset_id: str, configured: frozenset[str]
) -> DatasetOut:
    """The dataset as the API serves it: the verdicts of the `configured` providers only."""
    found = await datasets.get(session, team, dataset_id)
    files = await datasets.remote_files(session, [found.id])
    return dataset_out(found, files[found.id], configured)


async def pipeline_page(session: AsyncSession, team: str | None, cursor: str | None) -> Page:
    return await id_page(
        lambda after, n: pipelines.list_page(session, team, statuses=[], cursor=after, limit=n),
        prefix="pl_",
        cursor=cursor,
        limit=DEFAULT_LIMIT,
        present=pipeline_out,
    )


@dataclass(frozen=True)
class PipelineDetail:
    pipeline: PipelineOut
    sft_job: JobOut
    dpo_job: JobOut | None  # not started yet


async def pipeline_detail(
    session: AsyncSession, reader: Reader, team: str | None, pipeline_id: str
) -> PipelineDetail:
    pipeline = pipeline_out(await pipelines.get(session, team, pipeline_id))
    sft = job_out_row(await jobs.read(reader, team, pipeline.sft_job_id))
    dpo = None
    if pipeline.dpo_job_id is not None:
        dpo = job_out_row(await jobs.read(reader, team, pipeline.dpo_job_id))
    return PipelineDetail(pipeline, sft, dpo)
