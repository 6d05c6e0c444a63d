"""All SQL about datasets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Dataset, DatasetFile


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


async def remote_file(session: AsyncSession, dataset_id: str, provider: str) -> DatasetFile | None:
    query = select(DatasetFile).where(
        DatasetFile.dataset_id == dataset_id, DatasetFile.provider == provider
    )
    return (await session.execute(query)).scalar_one_or_none()


async def remote_files(session: AsyncSession, dataset_ids: Sequence[str]) -> list[DatasetFile]:
    query = select(DatasetFile).where(DatasetFile.dataset_id.in_(dataset_ids))
    return list((await session.execute(query)).scalars())


async def mark_upload_started(session: AsyncSession, dataset_id: str, provider: str) -> None:
    """Notes the first upload attempt to `provider` (a later one then looks for its file)."""
    query = (
        insert(DatasetFile)
        .values(dataset_id=dataset_id, provider=provider, upload_started_at=func.now())
        .on_conflict_do_update(
            index_elements=[DatasetFile.dataset_id, DatasetFile.provider],
            set_={"upload_started_at": func.coalesce(DatasetFile.upload_started_at, func.now())},
        )
    )
    await session.execute(query)


async def set_remote_file(
    session: AsyncSession, dataset_id: str, provider: str, file_id: str
) -> None:
    """Records the dataset's file at `provider`; a file already recorded is kept (the first
    upload wins, and every job shares it)."""
    query = (
        insert(DatasetFile)
        .values(dataset_id=dataset_id, provider=provider, file_id=file_id)
        .on_conflict_do_update(
            index_elements=[DatasetFile.dataset_id, DatasetFile.provider],
            set_={"file_id": func.coalesce(DatasetFile.file_id, file_id)},
        )
    )
    await session.execute(query)


async def forget_remote_file(
    session: AsyncSession, dataset_id: str, provider: str, file_id: str
) -> None:
    """The provider no longer has `file_id` (deleted, expired, a fresh emulator): the next
    upload starts over. Only that file is forgotten, not one another worker has recorded since."""
    query = (
        update(DatasetFile)
        .where(
            DatasetFile.dataset_id == dataset_id,
            DatasetFile.provider == provider,
            DatasetFile.file_id == file_id,
        )
        .values(file_id=None, upload_started_at=None)
    )
    await session.execute(query)
