"""Wire shapes (msgspec) and the presenters that turn rows into them."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import inspect

from service.datasets.validator import ProviderVerdict
from service.db.models import Dataset, Job, JobEvent

HyperparameterValue = int | float | str


class JobCreate(msgspec.Struct, forbid_unknown_fields=True):
    training_dataset_id: str
    model: str
    provider: str | None = None
    method: Literal["dpo", "sft"] = "dpo"
    validation_dataset_id: str | None = None
    hyperparameters: dict[str, HyperparameterValue] | None = None
    suffix: str | None = None
    seed: int | None = None
    metadata: dict[str, str] | None = None


class JobError(msgspec.Struct):
    code: str
    message: str
    retryable: bool


class JobProgress(msgspec.Struct):
    step: int
    total_steps: int | None


class PriceEstimateOut(msgspec.Struct):
    """The provider's estimate before the create (Together): the total price in `currency`,
    the tokens it expects to train and evaluate on, the account's limit, and whether the
    provider lets the job proceed (if not, the job failed before it was created)."""

    total: float | None
    currency: str
    train_tokens: float | None
    eval_tokens: float | None
    user_limit: float | None
    allowed_to_proceed: bool


class JobOut(msgspec.Struct):
    id: str
    status: str
    method: str
    model: str
    training_dataset_id: str
    validation_dataset_id: str | None
    hyperparameters: dict[str, Any]
    suffix: str | None
    seed: int | None
    metadata: dict[str, Any]
    provider: str
    provider_status: str | None
    provider_job_id: str | None
    provider_file_id: str | None
    # Deprecated: the provider_* fields, for OpenAI jobs (consumers from before providers).
    openai_job_id: str | None
    openai_file_id: str | None
    fine_tuned_model: str | None
    trained_tokens: int | None
    estimated_finish: datetime | None
    error: JobError | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    pipeline_id: str | None
    team: str
    requested_action: str | None
    progress: JobProgress | None
    # The provider's price estimate, asked right before the create; null for providers that
    # give none (OpenAI, Azure) and before the create.
    price_estimate: PriceEstimateOut | None = None


class DatasetOut(msgspec.Struct):
    id: str
    name: str
    kind: str
    status: str
    format: str
    bytes: int
    sha256: str
    examples: int
    created_at: datetime
    # The dataset's file at each provider it was uploaded to (provider -> file id).
    provider_files: dict[str, str]
    openai_file_id: str | None  # deprecated: provider_files["openai"]
    report: dict[str, Any]
    team: str
    # Whether each provider this deployment has would accept the file, and if not the first
    # refused rows (line, JSON path, why): the report's `providers`. null for a dataset stored
    # before per-provider verdicts, which a provider then judges itself.
    providers: dict[str, ProviderVerdict] | None


class UploadOut(DatasetOut):
    """The upload's answer. `already_stored`: these bytes (of this kind) were already your
    team's dataset, which is answered as it is: its name, not the one this upload gave."""

    already_stored: bool


def upload_out(
    dataset: Dataset,
    files: Mapping[str, str] | None,
    *,
    already_stored: bool,
    configured: Collection[str] | None = None,
) -> UploadOut:
    fields = msgspec.structs.asdict(dataset_out(dataset, files, configured))
    return UploadOut(**fields, already_stored=already_stored)


class EventOut(msgspec.Struct):
    id: str
    job_id: str
    sequence: int
    source: str
    type: str
    level: str
    message: str
    data: dict[str, Any] | None
    created_at: datetime


class Page(msgspec.Struct):
    data: list[Any]
    next_cursor: str | None


def job_out(job: Job) -> JobOut:
    return job_out_row({column: getattr(job, attribute) for column, attribute in _JOB_COLUMNS})


def job_out_row(row: Mapping[str, Any]) -> JobOut:
    """From a `jobs` row by column name: the read path's records, or an ORM object's columns."""
    error = None
    if row["error_code"] is not None:
        error = JobError(
            row["error_code"], row["error_message"] or "", bool(row["error_retryable"])
        )
    step = row["progress_step"]
    return JobOut(
        id=row["id"],
        status=row["status"],
        method=row["method"],
        model=row["model"],
        training_dataset_id=row["training_dataset_id"],
        validation_dataset_id=row["validation_dataset_id"],
        hyperparameters=row["hyperparameters"],
        suffix=row["suffix"],
        seed=row["seed"],
        metadata=row["metadata"],
        provider=row["provider"],
        provider_status=row["provider_status"],
        provider_job_id=row["provider_job_id"],
        provider_file_id=row["provider_file_id"],
        openai_job_id=row["provider_job_id"] if row["provider"] == "openai" else None,
        openai_file_id=row["provider_file_id"] if row["provider"] == "openai" else None,
        fine_tuned_model=row["fine_tuned_model"],
        trained_tokens=row["trained_tokens"],
        estimated_finish=row["estimated_finish"],
        error=error,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        finished_at=row["finished_at"],
        pipeline_id=row["pipeline_id"],
        team=row["team"],
        requested_action=row["requested_action"],
        progress=JobProgress(step, row["progress_total"]) if step is not None else None,
        price_estimate=_price_estimate(row.get("price_estimate")),
    )


def _price_estimate(value: Any) -> PriceEstimateOut | None:
    if not isinstance(value, Mapping):
        return None
    return PriceEstimateOut(
        total=value.get("total"),
        currency=str(value.get("currency") or "USD"),
        train_tokens=value.get("train_tokens"),
        eval_tokens=value.get("eval_tokens"),
        user_limit=value.get("user_limit"),
        allowed_to_proceed=bool(value.get("allowed_to_proceed", True)),
    )


# (column name, ORM attribute): they differ where a column's name is taken (`metadata`).
_JOB_COLUMNS = [
    (column.name, attribute.key)
    for attribute in inspect(Job).column_attrs
    for column in attribute.columns
]


def dataset_out(
    dataset: Dataset,
    files: Mapping[str, str] | None = None,
    configured: Collection[str] | None = None,
) -> DatasetOut:
    """`files`: the dataset's file id at each provider (`datasets.service.remote_files`);
    `configured`: the providers whose verdicts are shown (None: every one the report has)."""
    files = dict(files or {})
    report = for_providers(dataset.report, configured)
    verdicts = report.get("providers")
    return DatasetOut(
        id=dataset.id,
        name=dataset.name,
        kind=dataset.kind,
        status=dataset.status,
        format=dataset.source_format,
        bytes=dataset.bytes,
        sha256=dataset.sha256,
        examples=dataset.examples,
        created_at=dataset.created_at,
        provider_files=files,
        openai_file_id=files.get("openai"),
        report=report,
        team=dataset.team,
        providers=None
        if verdicts is None
        else msgspec.convert(verdicts, dict[str, ProviderVerdict]),
    )


def for_providers(report: dict[str, Any], configured: Collection[str] | None) -> dict[str, Any]:
    """The report with the verdicts of the `configured` providers only: the validator judges
    the file for every provider it knows, a deployment has some of them."""
    verdicts = report.get("providers")
    if configured is None or not isinstance(verdicts, dict):
        return report
    return {**report, "providers": {k: v for k, v in verdicts.items() if k in configured}}


def event_out(event: JobEvent) -> EventOut:
    return EventOut(
        id=event.id,
        job_id=event.job_id,
        sequence=event.seq,
        source=event.source,
        type=event.type,
        level=event.level,
        message=event.message,
        data=event.data,
        created_at=event.created_at,
    )
