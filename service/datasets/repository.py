"""All SQL about datasets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Dataset


async def add(session: AsyncSession, dataset: Dataset) -> None:
    session.add(dataset)
    await session.flush()


async def get(session: AsyncSession, dataset_id: str, *, team: str | None = None) -> Dataset | None:
    query = select(Dataset).where(Dataset.id == dataset_id, Dataset.deleted_at.is_(None))
    if team is not None:
        query = query.where(Dataset.team == team)
    return (await session.execute(query)).scalar_one_or_none()


async def find_same_bytes(
    session: AsyncSession, team: str, kind: str, sha256: str
) -> Dataset | None:
    query = select(Dataset).where(
        Dataset.team == team,
        Dataset.kind == kind,
        Dataset.sha256 == sha256,
        Dataset.deleted_at.is_(None),
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_page(
    session: AsyncSession,
    team: str | None,
    *,
    before_id: str | None,
    limit: int,
    kind: str | None = None,
) -> list[Dataset]:
    query = select(Dataset).where(Dataset.deleted_at.is_(None))
    if team is not None:
        query = query.where(Dataset.team == team)
    if kind is not None:
        query = query.where(Dataset.kind == kind)
    if before_id is not None:
        query = query.where(Dataset.id < before_id)
    query = query.order_by(Dataset.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def mark_deleted(session: AsyncSession, dataset_id: str, when: datetime) -> None:
    await session.execute(update(Dataset).where(Dataset.id == dataset_id).values(deleted_at=when))


async def mark_upload_started(session: AsyncSession, dataset_id: str) -> None:
    query = (
        update(Dataset)
        .where(Dataset.id == dataset_id, Dataset.openai_upload_started_at.is_(None))
        .values(openai_upload_started_at=func.now())
    )
    await session.execute(query)


async def set_openai_file(session: AsyncSession, dataset_id: str, file_id: str) -> None:
    query = (
        update(Dataset)
        .where(Dataset.id == dataset_id, Dataset.openai_file_id.is_(None))
        .values(openai_file_id=file_id)
    )
    await session.execute(query)
