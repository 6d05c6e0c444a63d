"""The OpenAI implementation of FineTuningProvider: the only module that imports `openai`.

Reads (retrieve, list, events, checkpoints, file content) use the SDK's own retries, which
back off and honour Retry-After: repeating a read is harmless. Everything that creates or
changes something at OpenAI goes through `self._writes`, with the SDK's retries off: OpenAI has
no idempotency key, so a retried POST can create a second file or job. Those retries are the
caller's, with backoff, after looking first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, BinaryIO

import openai
from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent

from service.providers.base import (
    OUR_ID_METADATA_KEY,
    InvalidWebhookError,
    JobSpec,
    PriceEstimate,
    ProviderError,
    RemoteCheckpoint,
    RemoteError,
    RemoteEvent,
    RemoteJob,
    WebhookNotice,
)
from service.providers.limits import ModelLimits
from service.providers.outcomes import retry_after_seconds, status_outcome
from service.providers.results import decode_result_file, parse_metrics_csv
from service.telemetry import count_provider_request

# Files above this must go through the Uploads API in parts.
FILES_API_LIMIT = 512 * 1024 * 1024
UPLOAD_PART_BYTES = 32 * 1024 * 1024
READ_RETRIES = 2
PERMANENT_STATUSES = frozenset({400, 403, 404, 422})
_METHOD_TYPES = {"dpo": "dpo", "sft": "supervised"}


class OpenAIProvider:
    name = "openai"

    def __init__(
        self, *, api_key: str, base_url: str | None, timeout: float, client: Any = None
    ) -> None:
        self._client: openai.AsyncOpenAI = client or openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=READ_RETRIES
        )
        self._writes = self._client.with_options(max_retries=0)

    async def close(self) -> None:
        await self._client.close()

    async def tunable_models(self) -> list[ModelLimits] | None:
        return None  # the registry's list: OpenAI publishes no per-model limits

    async def preflight(self, spec: JobSpec) -> PriceEstimate | None:
        return None  # no price estimate before the create

    async def upload_file(self, filename: str, stream: BinaryIO, size: int) -> str:
        async with _translated_errors(self.name, "upload_file"):
            if size > FILES_API_LIMIT:
                return await self._upload_in_parts(filename, stream, size)
            created = await self._writes.files.create(
                file=(filename, stream, "application/jsonl"), purpose="fine-tune"
            )
            return created.id

    async def _upload_in_parts(self, filename: str, stream: BinaryIO, size: int) -> str:
        upload = await self._writes.uploads.create(
            bytes=size, filename=filename, mime_type="text/jsonl", purpose="fine-tune"
        )
        part_ids = []
        while chunk := stream.read(UPLOAD_PART_BYTES):
            part = await self._writes.uploads.parts.create(upload.id, data=chunk)
            part_ids.append(part.id)
        done = await self._writes.uploads.complete(upload.id, part_ids=part_ids)
        if done.file is None:
            raise ProviderError(
                "upload completed without a file", code="upload_failed", retryable=True
            )
        return done.file.id

    async def find_file(self, filename: str) -> str | None:
        async with _translated_errors(self.name, "find_file"):
            async for item in self._client.files.list(purpose="fine-tune", limit=1000):
                if item.filename == filename:
                    return item.id
        return None

    async def create_job(self, spec: JobSpec) -> RemoteJob:
        async with _translated_errors(self.name, "create_job", ambiguous_on_transport=True):
            job = await self._writes.fine_tuning.jobs.create(**self._create_arguments(spec))
        return to_remote_job(job)

    def _create_arguments(self, spec: JobSpec) -> dict[str, Any]:
        method_type = _METHOD_TYPES[spec.method]
        method = {"type": method_type, method_type: {"hyperparameters": spec.hyperparameters}}
        return {
            "model": spec.model,
            "training_file": spec.training_file,
            "validation_file": spec.validation_file,
            "method": method,
            "metadata": {**spec.metadata, OUR_ID_METADATA_KEY: spec.our_id},
            "suffix": spec.suffix,
            "seed": spec.seed,
        }

    async def find_jobs(self, spec: JobSpec) -> list[RemoteJob]:
        """OpenAI keeps job metadata: our id is there, and only our job has it."""
        key, value = OUR_ID_METADATA_KEY, spec.our_id
        async with _translated_errors(self.name, "find_job"):
            page = await self._client.fine_tuning.jobs.list(metadata={key: value}, limit=10)
        matches = [job for job in page.data if (job.metadata or {}).get(key) == value]
        # Should two ever exist, the oldest is the one every later step keeps following.
        return [to_remote_job(job) for job in sorted(matches, key=lambda job: job.created_at)]

    async def get_job(self, job_id: str) -> RemoteJob:
        async with _translated_errors(self.name, "get_job"):
            return to_remote_job(await self._client.fine_tuning.jobs.retrieve(job_id))

    async def list_jobs(self, after: str | None, limit: int) -> tuple[list[RemoteJob], bool]:
        async with _translated_errors(self.name, "list_jobs"):
            page = await self._client.fine_tuning.jobs.list(after=after or openai.omit, limit=limit)
        return [to_remote_job(job) for job in page.data], bool(page.has_more)

    async def list_new_events(self, job_id: str, after_event_id: str | None) -> list[RemoteEvent]:
        newest_first: list[RemoteEvent] = []
        async with _translated_errors(self.name, "list_new_events"):
            async for event in self._client.fine_tuning.jobs.list_events(job_id, limit=100):
                if event.id == after_event_id:
                    break
                newest_first.append(to_remote_event(event))
        return newest_first[::-1]

    async def cancel_job(self, job_id: str) -> RemoteJob:
        async with _translated_errors(self.name, "cancel_job"):
            return to_remote_job(await self._writes.fine_tuning.jobs.cancel(job_id))

    async def pause_job(self, job_id: str) -> RemoteJob:
        async with _translated_errors(self.name, "pause_job"):
            return to_remote_job(await self._writes.fine_tuning.jobs.pause(job_id))

    async def resume_job(self, job_id: str) -> RemoteJob:
        async with _translated_errors(self.name, "resume_job"):
            return to_remote_job(await self._writes.fine_tuning.jobs.resume(job_id))

    async def list_checkpoints(self, job_id: str) -> list[RemoteCheckpoint]:
        checkpoints = []
        async with _translated_errors(self.name, "list_checkpoints"):
            async for item in self._client.fine_tuning.jobs.checkpoints.list(job_id, limit=100):
                metrics = item.metrics.model_dump(exclude_none=True) if item.metrics else {}
                checkpoints.append(
                    RemoteCheckpoint(
                        id=item.id,
                        step=item.step_number,
                        metrics=metrics,
                        fine_tuned_model_checkpoint=item.fine_tuned_model_checkpoint,
                        created_at=datetime.fromtimestamp(item.created_at, UTC),
                    )
                )
        return checkpoints

    async def result_metrics(self, file_id: str) -> list[dict[str, float]]:
        async with _translated_errors(self.name, "result_metrics"):
            content = await self._client.files.content(file_id)
        return parse_metrics_csv(decode_result_file(content.read()))


def verify_webhook(secret: str, body: bytes, headers: Mapping[str, str]) -> WebhookNotice:
    """Checks OpenAI's signature with the SDK (Standard Webhooks, 300 s tolerance) and says which
    fine-tuning job the event is about."""
    try:
        event = _webhook_client(secret).webhooks.unwrap(body, headers)
    except ValueError as error:  # the SDK's InvalidWebhookSignatureError is a ValueError
        raise InvalidWebhookError(str(error)) from error
    data = getattr(event, "data", None)
    job_id = getattr(data, "id", None) if event.type.startswith("fine_tuning.job.") else None
    return WebhookNotice(
        webhook_id=headers.get("webhook-id", ""),
        type=event.type,
        job_id=job_id if isinstance(job_id, str) else None,
    )


@lru_cache(maxsize=4)
def _webhook_client(secret: str) -> openai.OpenAI:
    # Verification is local; the client never sends a request.
    return openai.OpenAI(api_key="unused-for-webhook-verification", webhook_secret=secret)


def _timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


def to_remote_job(job: FineTuningJob) -> RemoteJob:
    error = job.error
    has_error = error is not None and bool(error.code or error.message)
    return RemoteJob(
        id=job.id,
        status=str(job.status),
        model=job.model,
        fine_tuned_model=job.fine_tuned_model,
        trained_tokens=job.trained_tokens,
        estimated_finish=_timestamp(job.estimated_finish),
        finished_at=_timestamp(job.finished_at),
        error=RemoteError(error.code or "unknown_error", error.message or "", error.param)
        if error is not None and has_error
        else None,
        metadata=dict(job.metadata or {}),
        result_files=tuple(job.result_files or ()),
        created_at=_timestamp(job.created_at),
        training_file=job.training_file,
        seed=job.seed,
    )


def to_remote_event(event: FineTuningJobEvent) -> RemoteEvent:
    data = event.data if isinstance(event.data, dict) else None
    return RemoteEvent(
        id=event.id,
        created_at=datetime.fromtimestamp(event.created_at, UTC),
        level=str(event.level),
        message=event.message,
        type=str(event.type or "message"),
        data=data,
    )


class _translated_errors:  # noqa: N801  (used as a context manager, reads like one)
    """Turns SDK exceptions into ProviderError, classified permanent or transient."""

    def __init__(
        self, provider: str, operation: str, *, ambiguous_on_transport: bool = False
    ) -> None:
        self._provider = provider  # openai or azure: the metrics tell them apart
        self._operation = operation
        self._ambiguous = ambiguous_on_transport

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        count_provider_request(self._provider, self._operation, _outcome(exc))
        if isinstance(exc, openai.APIStatusError):
            raise translate_status_error(exc) from exc
        if isinstance(exc, openai.APIConnectionError):
            raise ProviderError(
                f"{type(exc).__name__}: {exc}",
                code="connection_error",
                retryable=True,
                ambiguous=self._ambiguous,
            ) from exc


def _outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    if isinstance(exc, openai.APIStatusError):
        return status_outcome(exc.status_code)
    if isinstance(exc, openai.APIConnectionError):
        return "timeout" if isinstance(exc, openai.APITimeoutError) else "connection_error"
    return "error"


def translate_status_error(exc: openai.APIStatusError) -> ProviderError:
    body = exc.body if isinstance(exc.body, dict) else {}
    message = str(body.get("message") or exc.message)
    status = exc.status_code
    return ProviderError(
        message,
        code=str(exc.code or body.get("code") or f"http_{status}"),
        status=status,
        param=exc.param,
        retryable=status not in PERMANENT_STATUSES,
        retry_after=retry_after_seconds(exc.response.headers),
    )
