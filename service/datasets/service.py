"""Datasets: validate an upload, store it once, read it back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.blobstore import BlobStore, discard
from service.datasets import repository
from service.datasets.validation import Validation
from service.datasets.validator import (
    FORMATS_BY_KIND,
    SOURCE_FORMATS,
    DatasetKind,
    IngestResult,
    SourceFormat,
    ingest_file,
)
from service.db.models import Dataset
from service.errors import FieldError, ServiceError, conflict, not_found
from service.ids import new_id
from service.webhooks import outbox

KINDS = ("dpo", "sft")
NAME_LENGTH = (1, 300)  # characters


@dataclass(frozen=True)
class UploadOptions:
    name: str | None = None
    kind: str = "dpo"
    format: str = "openai"
    count_tokens: bool = True


@dataclass(frozen=True)
class Stored:
    dataset: Dataset
    created: bool


def check_options(options: UploadOptions) -> None:
    errors = []
    if options.kind not in KINDS:
        errors.append(
            FieldError("invalid_kind", f"kind must be one of {', '.join(KINDS)}", path="/kind")
        )
    formats = FORMATS_BY_KIND.get(options.kind, SOURCE_FORMATS)
    if options.format not in formats:
        errors.append(
            FieldError("invalid_format", _format_message(options.kind, formats), path="/format")
        )
    shortest, longest = NAME_LENGTH
    if options.name is not None and not shortest <= len(options.name) <= longest:
        message = f"name must be {shortest}..{longest} characters"
        errors.append(FieldError("invalid_name", message, path="/name"))
    if errors:
        raise ServiceError(
            "invalid upload options", status=422, title="Invalid input", errors=errors
        )


def _format_message(kind: str, formats: tuple[str, ...]) -> str:
    # Name the kind when it narrows the list, so `trl` missing from it is explained.
    narrowed = f" for kind {kind}" if formats != SOURCE_FORMATS else ""
    return f"format must be one of {', '.join(formats)}{narrowed}"


async def validate_only(
    validation: Validation, spool: Path, options: UploadOptions
) -> dict[str, Any]:
    check_options(options)
    result = await _ingest(spool, None, options, validation)
    return result.as_dict()


async def store_upload(
    session: AsyncSession,
    blobs: BlobStore,
    team: str,
    spool: Path,
    options: UploadOptions,
    validation: Validation | None = None,
) -> Stored:
    """Validates (and converts) the spooled upload; a valid one becomes a dataset row whose bytes
    sit under its own key. Invalid input raises 422 with the whole report; nothing is written.
    `validation`: the server's shared pool (None: a pool of this call's own when the file is
    large, as the CLI and the workers run it)."""
    check_options(options)
    converted = blobs.temp_path(".jsonl")
    try:
        with converted.open("wb") as sink:
            result = await _ingest(spool, sink, options, validation)
        if not result.report.valid:
            raise invalid_dataset(result)
        existing = await repository.find_same_bytes(session, team, options.kind, result.sha256)
        if existing is not None:
            return Stored(existing, created=False)
        return await _insert(session, blobs, team, converted, options, result)
    finally:
        discard(converted)


async def _insert(
    session: AsyncSession,
    blobs: BlobStore,
    team: str,
    converted: Path,
    options: UploadOptions,
    result: IngestResult,
) -> Stored:
    dataset_id = new_id("ds")
    dataset = Dataset(
        id=dataset_id,
        team=team,
        name=options.name or f"{dataset_id}.jsonl",
        kind=options.kind,
        source_format=result.detected_format,
        status="ready",
        bytes=result.bytes,
        sha256=result.sha256,
        examples=result.examples,
        blob_key=f"datasets/{dataset_id}.jsonl",
        report=_storable(result.as_dict()),
    )
    try:
        async with session.begin_nested():
            await repository.add(session, dataset)
    except IntegrityError:
        # The same bytes arrived twice at once: the other upload won; answer with its row.
        existing = await repository.find_same_bytes(session, team, options.kind, result.sha256)
        if existing is None:
            raise
        return Stored(existing, created=False)
    await outbox.record_dataset_created(session, dataset)
    blobs.commit(converted, dataset.blob_key)
    return Stored(dataset, created=True)


async def _ingest(
    spool: Path, sink: Any, options: UploadOptions, validation: Validation | None
) -> IngestResult:
    if validation is not None:
        return await validation.ingest(
            spool,
            sink,
            kind=options.kind,  # checked by check_options
            fmt=options.format,
            count_tokens=options.count_tokens,
        )
    # Validation and token counting are CPU work: keep them off the event loop.
    return await asyncio.to_thread(
        ingest_file,
        spool,
        sink,
        kind=cast(DatasetKind, options.kind),  # checked by check_options
        fmt=cast(SourceFormat, options.format),
        count_tokens=options.count_tokens,
    )


def _storable(value: Any) -> Any:
    """The report as jsonb can hold it: PostgreSQL refuses U+0000 there, and a key in the data
    (named in an issue's path) may hold one. It is kept as the six characters `\\u0000`."""
    if isinstance(value, str):
        return value.replace("\x00", "\\u0000")
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def invalid_dataset(result: IngestResult) -> ServiceError:
    report = result.as_dict()
    errors = [
        FieldError(issue.code, issue.message, line=issue.line, path=issue.path)
        for issue in result.report.errors
    ]
    total = result.report.errors_total
    return ServiceError(
        f"the dataset has {total} error(s); see `errors` (first ones per code) and `report`",
        status=422,
        title="Invalid dataset",
        errors=errors,
        extra={"report": report},
    )


async def get(session: AsyncSession, team: str | None, dataset_id: str) -> Dataset:
    dataset = await repository.get(session, dataset_id, team=team)
    if dataset is None:
        raise not_found("dataset", dataset_id)
    return dataset


async def list_page(
    session: AsyncSession, team: str | None, *, cursor: str | None, limit: int
) -> list[Dataset]:
    return await repository.list_page(session, team, before_id=cursor, limit=limit)


async def remote_files(session: AsyncSession, dataset_ids: list[str]) -> dict[str, dict[str, str]]:
    """For each dataset, its file id at each provider it was uploaded to."""
    files: dict[str, dict[str, str]] = {dataset_id: {} for dataset_id in dataset_ids}
    for row in await repository.remote_files(session, dataset_ids):
        if row.file_id is not None:
            files[row.dataset_id][row.provider] = row.file_id
    return files


async def delete(
    session: AsyncSession, team: str | None, dataset_id: str, active_uses: int
) -> Dataset:
    dataset = await get(session, team, dataset_id)
    if active_uses:
        raise conflict(
            f"dataset {dataset_id} is used by {active_uses} job(s) that are not finished"
        )
    await repository.mark_deleted(session, dataset_id, datetime.now(UTC))
    return dataset
