"""What the job lifecycle needs from a fine-tuning provider, in our own types.

The domain depends on this Protocol only; `openai.py` is one implementation. Another
OpenAI-compatible provider is one more class with these methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, Literal, Protocol

from service.providers.limits import ModelLimits

Method = Literal["dpo", "sft"]


@dataclass(frozen=True)
class RemoteError:
    code: str
    message: str
    param: str | None = None


@dataclass(frozen=True)
class RemoteJob:
    """A provider's job in our words. `status` is our status name (`jobs.states.JobStatus`)
    when the provider's own word maps to one, its own word otherwise (an unknown status, which
    the lifecycle treats as still moving); `provider_status` is always the provider's own word
    (None: the same as `status`, as for OpenAI, whose names are ours)."""

    id: str
    status: str
    model: str
    fine_tuned_model: str | None = None
    trained_tokens: int | None = None
    estimated_finish: datetime | None = None
    finished_at: datetime | None = None
    error: RemoteError | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    result_files: tuple[str, ...] = ()
    created_at: datetime | None = None
    training_file: str | None = None
    seed: int | None = None
    provider_status: str | None = None

    @property
    def raw_status(self) -> str:
        return self.provider_status if self.provider_status is not None else self.status


@dataclass(frozen=True)
class PriceEstimate:
    """What the provider expects a job to cost before it is created, and whether it lets it
    proceed (a spend limit or the account's credit)."""

    total: float | None
    currency: str
    train_tokens: float | None = None
    eval_tokens: float | None = None
    user_limit: float | None = None
    allowed_to_proceed: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "currency": self.currency,
            "train_tokens": self.train_tokens,
            "eval_tokens": self.eval_tokens,
            "user_limit": self.user_limit,
            "allowed_to_proceed": self.allowed_to_proceed,
        }

    def refusal(self) -> str | None:
        """Why the provider would not let the job proceed; None when it would."""
        if self.allowed_to_proceed:
            return None
        total = f"{self.total:g} {self.currency}" if self.total is not None else "unknown"
        limit = f"{self.user_limit:g} {self.currency}" if self.user_limit is not None else None
        over = f" over the account's limit of {limit}" if limit else ""
        return f"the estimated price of {total} is{over}: the provider would not let it proceed"


@dataclass(frozen=True)
class RemoteEvent:
    id: str
    created_at: datetime
    level: str
    message: str
    type: str = "message"
    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class RemoteCheckpoint:
    id: str
    step: int
    fine_tuned_model_checkpoint: str
    metrics: dict[str, float]
    created_at: datetime


@dataclass(frozen=True)
class WebhookNotice:
    """A verified webhook from the provider: which job to look at now."""

    webhook_id: str
    type: str
    job_id: str | None


class InvalidWebhookError(Exception):
    """Bad signature, stale timestamp or missing headers: the caller answers 400."""


# The metadata key under which a provider that keeps job metadata holds our job id.
OUR_ID_METADATA_KEY = "ftjobs_job_id"


@dataclass(frozen=True)
class JobSpec:
    """What to create at the provider for our job `our_id`."""

    our_id: str
    model: str
    training_file: str
    method: Method
    hyperparameters: dict[str, Any]
    metadata: dict[str, str]
    validation_file: str | None = None
    suffix: str | None = None
    seed: int | None = None


class ProviderError(Exception):
    """A failed provider call. `retryable` tells a transient failure from a permanent one;
    `ambiguous` means the request may have taken effect (timeout or dropped connection)."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int | None = None,
        retryable: bool,
        retry_after: float | None = None,
        ambiguous: bool = False,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.ambiguous = ambiguous
        self.param = param


class FineTuningProvider(Protocol):
    async def upload_file(self, filename: str, stream: BinaryIO, size: int) -> str: ...

    async def tunable_models(self) -> list[ModelLimits] | None:
        """The models the provider fine-tunes, with their limits, from the provider itself;
        None for a provider whose list is the registry's (OpenAI, Azure)."""
        ...

    async def preflight(self, spec: JobSpec) -> PriceEstimate | None:
        """Right before the create: checks the job against the model's limits as the provider
        states them now (a permanent ProviderError naming the field when it breaks one) and
        asks for a price estimate; None for a provider without either (OpenAI, Azure)."""
        ...

    async def find_file(self, filename: str) -> str | None: ...

    async def create_job(self, spec: JobSpec) -> RemoteJob: ...

    async def find_jobs(self, spec: JobSpec) -> list[RemoteJob]:
        """The remote jobs that may have been created for `spec` (our job `spec.our_id`),
        oldest first: no provider takes an idempotency key, so the submit step looks before it
        creates, and again after a failure that may have created one anyway."""
        ...

    async def get_job(self, job_id: str) -> RemoteJob: ...

    async def list_jobs(self, after: str | None, limit: int) -> tuple[list[RemoteJob], bool]:
        """One page of the organization's jobs, newest first, and whether more follow."""
        ...

    async def list_new_events(self, job_id: str, after_event_id: str | None) -> list[RemoteEvent]:
        """Events newer than `after_event_id`, oldest first."""
        ...

    async def cancel_job(self, job_id: str) -> RemoteJob: ...

    async def pause_job(self, job_id: str) -> RemoteJob: ...

    async def resume_job(self, job_id: str) -> RemoteJob: ...

    async def list_checkpoints(self, job_id: str) -> list[RemoteCheckpoint]: ...

    async def result_metrics(self, file_id: str) -> list[dict[str, float]]:
        """Per-step rows of a job's result file (step, train_loss, …)."""
        ...

    async def close(self) -> None: ...
