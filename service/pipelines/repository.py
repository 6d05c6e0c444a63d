"""All SQL about pipelines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.pipeline_models import Pipeline


async def add(session: AsyncSession, pipeline: Pipeline) -> None:
    session.add(pipeline)
    await session.flush()


async def get(
    session: AsyncSession, pipeline_id: str, *, team: str | None = None, for_update: bool = False
) -> Pipeline | None:
    query = select(Pipeline).where(Pipeline.id == pipeline_id)
    if team is not None:
        query = query.where(Pipeline.team == team)
    if for_update:
        # A row read earlier in this transaction must be refreshed, not served from the session.
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def list_page(
    session: AsyncSession,
    team: str | None,
    *,
    statuses: Sequence[str],
    before_id: str | None,
    limit: int,
) -> list[Pipeline]:
    """Newest first by id (ids sort by creation time): keyset pages."""
    query = select(Pipeline)
    if team is not None:
        query = query.where(Pipeline.team == team)
    if statuses:
        query = query.where(Pipeline.status.in_(statuses))
    if before_id is not None:
        query = query.where(Pipeline.id < before_id)
    query = query.order_by(Pipeline.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def compare_and_set(
    session: AsyncSession, pipeline_id: str, expected: str, **values: Any
) -> bool:
    """UPDATE … WHERE status = expected: the write happens only if nobody moved the pipeline."""
    query = (
        update(Pipeline)
        .where(Pipeline.id == pipeline_id, Pipeline.status == expected)
        .values(updated_at=func.now(), **values)
    )
    return bool((await session.execute(query)).rowcount)  # type: ignore[attr-defined]


async def running_uses_of_dataset(
    session: AsyncSession, dataset_id: str, terminal: list[str]
) -> int:
    """Unfinished pipelines that will still read this dataset (their DPO stage needs it)."""
    query = select(func.count()).where(
        (Pipeline.dataset_id == dataset_id) | (Pipeline.sft_dataset_id == dataset_id),
        Pipeline.status.not_in(terminal),
    )
    return int((await session.execute(query)).scalar_one())
