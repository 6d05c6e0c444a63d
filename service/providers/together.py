"""Together AI as a FineTuningProvider, through the official `together` SDK (AsyncTogether).

What differs from OpenAI, and how it is met:
- **No metadata, no idempotency key.** Every job's suffix carries our tag (`-ftj-` and ten hex
  digits of our job id; `together_mapping.job_tag`), which Together puts in the output name;
  `find_jobs` looks for it in the job list. A caller's suffix may hold 25 characters.
- **The create.** The SDK's `fine_tuning.create` reads the model's limits and asks for a price
  estimate on every call, and only warns when the estimate is refused. Here the submit step asks
  first (`preflight`: the limits, checked, and the estimate, which it stores and acts on), and
  `create_job` builds the request with the SDK's own `create_finetune_request` from those limits
  and posts it once, with the SDK's retries off (a retried POST could make a second job). That
  also lets `dpo_reference_free` be sent, which `create` cannot.
- **Uploads.** The SDK's `files.upload` (POST /v1/files, 302 to a presigned URL, PUT,
  preprocess) takes a path: the stream is spooled to a temporary file named as our file. A 409
  (the same checksum already there) gives the existing file: a worker that died mid-upload
  finds its file again that way too.
- **Events** have no id and no cursor: each gets a stable id (`together_mapping.event_ids`) and
  only those after the last one mirrored are returned.
- **List** has no paging: one call returns every job; we page it ourselves.
- **No pause or resume**: a permanent error (the API refuses them first, from the registry's
  capabilities).
- **Metrics** come from `/fine-tunes/{id}/metrics`: a job's `result_files` is its own id, so the
  result step reads them once it succeeded.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import together
from together.lib.resources.fine_tuning import create_finetune_request
from together.types.fine_tuning_cancel_response import FineTuningCancelResponse
from together.types.fine_tuning_list_response import Data as ListedJob
from together.types.finetune_event import FinetuneEvent
from together.types.finetune_model_limits import FinetuneModelLimits
from together.types.finetune_response import FinetuneResponse

from service.providers.base import (
    JobSpec,
    PriceEstimate,
    ProviderError,
    RemoteCheckpoint,
    RemoteError,
    RemoteEvent,
    RemoteJob,
)
from service.providers.limits import BatchLimits, ModelLimits, check_limits
from service.providers.outcomes import retry_after_seconds, status_outcome
from service.providers.together_mapping import (
    FAILED_STATUSES,
    EventFacts,
    after,
    carries_tag,
    event_ids,
    is_checkpoint,
    is_known,
    metric_rows,
    our_status,
    tagged_suffix,
)
from service.telemetry import count_provider_request

log = logging.getLogger(__name__)
# One job as retrieve, list and cancel each answer it (three generated types, the same fields).
TogetherJob = FinetuneResponse | ListedJob | FineTuningCancelResponse
READ_RETRIES = 2
# 401 is not among them: a wrong key is the operator's to fix, and the job waits (as OpenAI's).
PERMANENT_STATUSES = frozenset({400, 402, 403, 404, 422})
LIMITS_CONCURRENCY = 4  # model-limit reads in flight when the model list is refreshed
# Files listed but not (yet) usable by a job: their bytes never arrived, or were refused.
UNUSABLE_FILES = frozenset({"PENDING", "FAILED", "INVALID_FORMAT"})


class TogetherProvider:
    name = "together"

    def __init__(
        self, *, api_key: str, base_url: str | None, timeout: float, client: Any = None
    ) -> None:
        self._client: together.AsyncTogether = client or together.AsyncTogether(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=READ_RETRIES
        )
        self._writes = self._client.with_options(max_retries=0)
        self._statuses_seen: dict[str, str] = {}  # job id → an unknown status already logged
        # The limits the pre-create check read, reused by the create that follows it (one
        # worker step; a client lives no longer).
        self._limits_read: dict[str, FinetuneModelLimits] = {}
        self._listed: list[RemoteJob] | None = None  # the last full list, newest first

    async def close(self) -> None:
        await self._client.close()

    # --- models and the pre-create check -----------------------------------------------------

    async def tunable_models(self) -> list[ModelLimits] | None:
        async with _translated_errors("tunable_models"):
            # The SDK has no method for it: its client's own GET, with its auth and retries.
            listed = await self._client.get("/v1/fine-tunes/models/supported", cast_to=object)
        models = listed.get("models") if isinstance(listed, dict) else None
        names = [name for name in models or () if isinstance(name, str)]
        gate = asyncio.Semaphore(LIMITS_CONCURRENCY)

        async def limits_of(model: str) -> ModelLimits | None:
            async with gate:
                try:
                    return await self._limits(model)
                except ProviderError as error:
                    if error.retryable:
                        raise
                    log.warning("Together lists %s but gives no limits: %s", model, error)
                    return None

        found = await asyncio.gather(*(limits_of(name) for name in names))
        return [limits for limits in found if limits is not None]

    async def _raw_limits(self, model: str) -> FinetuneModelLimits:
        async with _translated_errors("model_limits", param="model"):
            return await self._client.fine_tuning.model_limits(model_name=model)

    async def _limits_of_job(self, spec: JobSpec) -> FinetuneModelLimits:
        if spec.our_id not in self._limits_read:
            self._limits_read[spec.our_id] = await self._limits_for(spec)
        return self._limits_read[spec.our_id]

    async def _limits(self, model: str) -> ModelLimits:
        return to_model_limits(await self._raw_limits(model))

    async def _limits_for(self, spec: JobSpec) -> FinetuneModelLimits:
        """The limits of the model the job trains: its base model, or for a job continuing
        from a checkpoint, the base model of the job that made it (the limits endpoint knows
        base models only)."""
        model, checkpoint = _start(spec)
        if checkpoint is None:
            return await self._raw_limits(model or spec.model)
        reference = checkpoint.split(":")[0]
        async with _translated_errors("find_parent"):
            listed = await self._client.fine_tuning.list()
        parent = next((j for j in listed.data if reference in (j.id, j.x_model_output_name)), None)
        return await self._raw_limits(parent.model if parent and parent.model else reference)

    async def preflight(self, spec: JobSpec) -> PriceEstimate | None:
        raw = await self._limits_of_job(spec)
        errors = check_limits(to_model_limits(raw), spec.method, spec.hyperparameters)
        if errors:
            first = errors[0]
            param = (first.path or "").rsplit("/", 1)[-1] or None
            raise ProviderError(first.message, code="model_limit", retryable=False, param=param)
        request, training_type, training_method = self._request(spec, raw)
        async with _translated_errors("estimate_price"):
            estimate = await self._client.fine_tuning.estimate_price(
                training_file=spec.training_file,
                validation_file=spec.validation_file or together.omit,
                from_checkpoint=request.from_checkpoint or together.omit,
                model=request.model or "",
                n_epochs=request.n_epochs,
                n_evals=request.n_evals or 0,
                training_type=training_type or together.omit,
                training_method=training_method,
            )
        if not getattr(estimate, "estimation_available", False):
            return None
        allowed = getattr(estimate, "allowed_to_proceed", None)
        return PriceEstimate(
            total=getattr(estimate, "estimated_total_price", None),
            currency="USD",
            train_tokens=getattr(estimate, "estimated_train_token_count", None),
            eval_tokens=getattr(estimate, "estimated_eval_token_count", None),
            user_limit=getattr(estimate, "user_limit", None),
            allowed_to_proceed=allowed is not False,
        )

    # --- files --------------------------------------------------------------------------------

    async def upload_file(self, filename: str, stream: BinaryIO, size: int) -> str:
        with tempfile.TemporaryDirectory(prefix="ftjobs-together-") as folder:
            path = Path(folder) / filename
            await asyncio.to_thread(_spool, stream, path)
            async with _translated_errors("upload_file"):
                # check=False: the dataset was validated on upload to us, more strictly.
                uploaded = await self._writes.files.upload(path, purpose="fine-tune", check=False)
        return uploaded.id

    async def find_file(self, filename: str) -> str | None:
        async with _translated_errors("find_file"):
            listed = await self._client.files.list()
        # A file whose bytes never arrived (a worker died between the POST and the PUT) is
        # listed but unusable: uploading again gets the same file, then its bytes.
        matches = [
            item
            for item in listed.data
            if item.filename == filename and item.processing_status not in UNUSABLE_FILES
        ]
        return min(matches, key=lambda item: item.created_at).id if matches else None

    # --- jobs ---------------------------------------------------------------------------------

    async def create_job(self, spec: JobSpec) -> RemoteJob:
        raw = await self._limits_of_job(spec)
        request, _, _ = self._request(spec, raw)
        body = request.model_dump(exclude_none=True)
        async with _translated_errors("create_job", ambiguous_on_transport=True):
            created = await self._writes.post("/v1/fine-tunes", body=body, cast_to=FinetuneResponse)
        return self._remote(created)

    def _request(self, spec: JobSpec, limits: FinetuneModelLimits) -> tuple[Any, Any, Any]:
        """The SDK's own request (and its price-estimate parts) for `spec`."""
        values = dict(spec.hyperparameters)
        model, checkpoint = _start(spec)
        dpo = spec.method == "dpo"
        training_type = values.get("training_type")
        try:
            request, training_type_cls, training_method_cls = create_finetune_request(
                model_limits=limits,
                training_file=spec.training_file,
                model=model,
                from_checkpoint=checkpoint,
                validation_file=spec.validation_file or "",
                n_epochs=values.get("n_epochs", 1),
                batch_size=values.get("batch_size", "max"),
                learning_rate=values.get("learning_rate", 1e-5),
                n_checkpoints=values.get("n_checkpoints", 1),
                n_evals=values.get("n_evals", 0),
                warmup_ratio=values.get("warmup_ratio"),
                # None: Together's default (LoRA, or the parent's type from a checkpoint).
                lora=None if training_type is None else training_type == "lora",
                lora_r=values.get("lora_r"),
                lora_alpha=values.get("lora_alpha"),
                lora_dropout=values.get("lora_dropout", 0),
                suffix=tagged_suffix(spec.suffix, spec.our_id),
                random_seed=spec.seed,
                training_method=spec.method,
                train_on_inputs=None if dpo else "auto",
                dpo_beta=values.get("beta") if dpo else None,
                dpo_normalize_logratios_by_length=bool(
                    values.get("dpo_normalize_logratios_by_length", False)
                ),
                rpo_alpha=values.get("rpo_alpha") if dpo else None,
                simpo_gamma=values.get("simpo_gamma") if dpo else None,
            )
        except ValueError as refused:  # the SDK's own checks against the model's limits
            raise ProviderError(str(refused), code="invalid_request", retryable=False) from refused
        if dpo and values.get("dpo_reference_free"):
            return _reference_free(request, training_type_cls, training_method_cls)
        return request, training_type_cls, training_method_cls

    async def find_jobs(self, spec: JobSpec) -> list[RemoteJob]:
        """Jobs whose output name carries our tag, oldest first."""
        async with _translated_errors("find_job"):
            listed = await self._client.fine_tuning.list()
        ours = [
            job
            for job in listed.data
            if carries_tag(job.x_model_output_name, getattr(job, "suffix", None), spec.our_id)
        ]
        return sorted((self._remote(job) for job in ours), key=_created)

    async def get_job(self, job_id: str) -> RemoteJob:
        async with _translated_errors("get_job"):
            return self._remote(await self._client.fine_tuning.retrieve(job_id))

    async def list_jobs(self, after: str | None, limit: int) -> tuple[list[RemoteJob], bool]:
        """Together returns every job in one answer: a scan starts with `after=None`, which
        reads that answer, and its next pages (`after` the last id of the previous page) are
        cut from the same answer instead of reading every job again."""
        if after is None or self._listed is None:
            async with _translated_errors("list_jobs"):
                listed = await self._client.fine_tuning.list()
            self._listed = sorted((self._remote(job) for job in listed.data), key=_created)[::-1]
        newest_first = self._listed
        start = 0
        if after is not None:
            ids = [job.id for job in newest_first]
            start = ids.index(after) + 1 if after in ids else len(ids)
        return newest_first[start : start + limit], start + limit < len(newest_first)

    async def list_new_events(self, job_id: str, after_event_id: str | None) -> list[RemoteEvent]:
        async with _translated_errors("list_new_events"):
            listed = await self._client.fine_tuning.list_events(job_id)
        events = sorted(listed.data, key=lambda event: event.created_at)  # stable for ties
        ids = event_ids([_facts(event) for event in events])
        start = after(ids, after_event_id)
        return [to_remote_event(event, id_) for event, id_ in zip(events, ids, strict=True)][start:]

    async def cancel_job(self, job_id: str) -> RemoteJob:
        async with _translated_errors("cancel_job"):
            return self._remote(await self._writes.fine_tuning.cancel(job_id))

    async def pause_job(self, job_id: str) -> RemoteJob:
        raise _cannot("pause")

    async def resume_job(self, job_id: str) -> RemoteJob:
        raise _cannot("resume")

    async def list_checkpoints(self, job_id: str) -> list[RemoteCheckpoint]:
        async with _translated_errors("list_checkpoints"):
            listed = await self._client.fine_tuning.list_checkpoints(job_id)
        if not listed.data:
            return []
        by_step = {int(row["step"]): row for row in await self.result_metrics(job_id)}
        return [
            RemoteCheckpoint(
                id=f"{job_id}:{item.step}",
                step=item.step,
                # What `from_checkpoint` takes to train further from this step.
                fine_tuned_model_checkpoint=f"{job_id}:{item.step}",
                metrics={k: v for k, v in by_step.get(item.step, {}).items() if k != "step"},
                created_at=_parse_time(item.created_at) or datetime.now(UTC),
            )
            for item in listed.data
        ]

    async def result_metrics(self, file_id: str) -> list[dict[str, float]]:
        """Per-step rows of job `file_id` (a Together job's result is the job itself)."""
        async with _translated_errors("result_metrics"):
            listed = await self._client.fine_tuning.list_metrics(file_id)
        return metric_rows(listed.metrics or [])

    # --- reading Together's answers ---------------------------------------------------------

    def _remote(self, job: TogetherJob) -> RemoteJob:
        raw = str(job.status)
        self._note_unknown(job.id, raw)
        return to_remote_job(job)

    def _note_unknown(self, job_id: str, raw: str) -> None:
        """An unknown status is logged once per change, not on every poll."""
        if is_known(raw) or self._statuses_seen.get(job_id) == raw:
            return
        self._statuses_seen[job_id] = raw
        log.warning(
            "Together reports job %s as %r, a status we do not know; it is "
            "treated as still running",
            job_id,
            raw,
        )


def to_remote_job(job: TogetherJob) -> RemoteJob:
    raw = str(job.status)
    error = None
    if raw in FAILED_STATUSES:
        message = _error_message(job)
        error = RemoteError(code=raw, message=message or f"Together reports {raw}")
    output = job.x_model_output_name
    return RemoteJob(
        id=job.id,
        status=our_status(raw),
        provider_status=raw,
        model=job.model or "",
        fine_tuned_model=output if raw == "completed" else None,
        trained_tokens=job.token_count if raw == "completed" else None,
        finished_at=job.updated_at if raw in ("completed", "cancelled", *FAILED_STATUSES) else None,
        error=error,
        result_files=(job.id,) if raw == "completed" else (),
        created_at=job.created_at,
        training_file=job.training_file,
        seed=getattr(job, "random_seed", None),
    )


def _error_message(job: TogetherJob) -> str:
    """The provider's own words: the job's error field when it has one, else the last error
    event's message."""
    for name in ("error", "message", "error_message"):
        value = getattr(job, name, None)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict) and value.get("message"):
            return str(value["message"])
    for event in reversed(job.events or []):
        if event.level == "error" or "error" in str(event.type):
            return event.message
    return ""


def to_remote_event(event: FinetuneEvent, event_id: str) -> RemoteEvent:
    data = {
        key: value
        for key, value in {
            "step": event.step,
            "total_steps": event.total_steps,
            "token_count": event.token_count,
            "param_count": event.param_count,
            "checkpoint_path": event.checkpoint_path,
            "model_path": event.x_model_path,
            "wandb_url": event.wandb_url,
        }.items()
        if value is not None
    }
    level = str(event.level or "info").removeprefix("legacy_").replace("iwarning", "warning")
    return RemoteEvent(
        id=event_id,
        created_at=_parse_time(event.created_at) or datetime.now(UTC),
        level=level.replace("ierror", "error"),
        message=event.message,
        type=str(event.type),
        data=data or None,
    )


def to_model_limits(raw: FinetuneModelLimits) -> ModelLimits:
    lora = raw.lora_training
    full = raw.full_training if raw.supports_full_training else None
    return ModelLimits(
        model=raw.api_model_name,
        max_seq_length_dpo=raw.max_seq_length_dpo,
        max_seq_length_sft=raw.max_seq_length_sft,
        min_learning_rate=raw.min_learning_rate,
        max_learning_rate=raw.max_learning_rate,
        max_num_epochs=raw.max_num_epochs,
        max_num_checkpoints=raw.max_num_checkpoints,
        max_num_evals=raw.max_num_evals,
        lora=BatchLimits(lora.min_batch_size, lora.max_batch_size, lora.max_batch_size_dpo),
        lora_max_rank=lora.max_rank,
        full=BatchLimits(full.min_batch_size, full.max_batch_size, full.max_batch_size_dpo)
        if full is not None
        else None,
    )


def _facts(event: FinetuneEvent) -> EventFacts:
    extra = event.model_extra or {}
    digest = extra.get("hash")
    return EventFacts(
        created_at=str(event.created_at),
        type=str(event.type),
        message=event.message,
        step=event.step,
        hash=str(digest) if digest else None,
    )


def _reference_free(request: Any, training_type: Any, training_method: Any) -> tuple[Any, Any, Any]:
    """`dpo_reference_free` on a DPO request: the SDK sets it only for SimPO (simpo_gamma > 0),
    Together's API takes it on its own."""
    request.training_method.dpo_reference_free = True
    return request, training_type, {**training_method, "dpo_reference_free": True}


def _start(spec: JobSpec) -> tuple[str | None, str | None]:
    """(model, from_checkpoint): a job continues from a checkpoint of ours, or starts from a
    base model; never both (Together refuses both)."""
    if is_checkpoint(spec.model):
        return None, spec.model
    return spec.model, None


def _spool(stream: BinaryIO, path: Path) -> None:
    with path.open("wb") as out:
        shutil.copyfileobj(stream, out, 1024 * 1024)


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _created(job: RemoteJob) -> float:
    return job.created_at.timestamp() if job.created_at else 0.0


def _cannot(action: str) -> ProviderError:
    return ProviderError(
        f"Together cannot {action} a fine-tuning job; cancel it instead",
        code=f"{action}_not_supported",
        retryable=False,
    )


class _translated_errors:  # noqa: N801  (used as a context manager, reads like one)
    """Turns the SDK's exceptions into ProviderError, permanent or transient."""

    def __init__(
        self, operation: str, *, ambiguous_on_transport: bool = False, param: str | None = None
    ) -> None:
        self._operation = operation
        self._ambiguous = ambiguous_on_transport
        self._param = param

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        count_provider_request("together", self._operation, _outcome(exc))
        if isinstance(exc, together.APIStatusError):
            raise translate_status_error(exc, self._param) from exc
        if isinstance(exc, together.APIConnectionError):
            raise ProviderError(
                f"{type(exc).__name__}: {exc}",
                code="timeout" if isinstance(exc, together.APITimeoutError) else "connection_error",
                retryable=True,
                ambiguous=self._ambiguous,
            ) from exc


def _outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    if isinstance(exc, together.APIStatusError):
        return status_outcome(exc.status_code)
    if isinstance(exc, together.APIConnectionError):
        return "timeout" if isinstance(exc, together.APITimeoutError) else "connection_error"
    return "error"


def translate_status_error(
    exc: together.APIStatusError, default_param: str | None = None
) -> ProviderError:
    """Together's error body is `{"error": {"message", "type", "param", "code"}}` (or a bare
    `{"message"}`). 402 is the account's spend limit: permanent, said plainly. 408, 409, 429
    and 5xx are transient."""
    body: dict[str, Any] = exc.body if isinstance(exc.body, dict) else {}
    nested = body.get("error")
    inner: dict[str, Any] = nested if isinstance(nested, dict) else body
    status = exc.status_code
    message = str(inner.get("message") or exc.message)
    if status == 402:
        message = f"Together refused for the account's spend limit (402): {message}"
    code = inner.get("code") or inner.get("type") or f"http_{status}"
    param = inner.get("param")
    if status == 404 and param is None:
        param = default_param
    return ProviderError(
        message,
        code=str(code),
        status=status,
        param=str(param) if param else None,
        retryable=status not in PERMANENT_STATUSES,
        retry_after=retry_after_seconds(exc.response.headers),
    )
