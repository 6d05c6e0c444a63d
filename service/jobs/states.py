"""Job statuses and the moves between them (pure)."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    PENDING = "pending"
    UPLOADING = "uploading"
    VALIDATING_FILES = "validating_files"
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLING = "cancelling"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


S = JobStatus
TERMINAL = frozenset({S.SUCCEEDED, S.FAILED, S.CANCELLED})
# Statuses that OpenAI reports for a job it holds.
AT_PROVIDER = frozenset({S.VALIDATING_FILES, S.QUEUED, S.RUNNING, S.PAUSED})
# What a provider's report can move a job to. Adapters map their provider's words to these
# names (OpenAI's are ours already; Together's `cancel_requested` is our `cancelling`, which
# OpenAI never reports); any other word is unknown here and leaves the job where it is.
_PROVIDER_STATUSES = {status.value: status for status in AT_PROVIDER | TERMINAL | {S.CANCELLING}}

_LEGAL: dict[JobStatus, frozenset[JobStatus]] = {
    S.PENDING: frozenset({S.UPLOADING, S.CANCELLING, S.FAILED}),
    # A recovered submit can find OpenAI's job already anywhere in its life.
    S.UPLOADING: AT_PROVIDER | TERMINAL | {S.CANCELLING},
    **{status: (AT_PROVIDER - {status}) | TERMINAL | {S.CANCELLING} for status in AT_PROVIDER},
    # Once cancel is asked for, only OpenAI's final word moves the job on.
    S.CANCELLING: TERMINAL,
    **{status: frozenset() for status in TERMINAL},
}


def can_move(current: JobStatus, target: JobStatus) -> bool:
    return target in _LEGAL[current]


def is_terminal(status: JobStatus) -> bool:
    return status in TERMINAL


def from_provider(remote_status: str) -> JobStatus | None:
    """A provider's report (in our words, `RemoteJob.status`) as our status; None for a status
    we don't know (treated as still moving, never as an end)."""
    return _PROVIDER_STATUSES.get(remote_status)


def next_status(current: JobStatus, remote_status: str) -> JobStatus | None:
    """Where a job goes when OpenAI reports `remote_status`; None when it stays put."""
    target = from_provider(remote_status)
    if target is None or target == current:
        return None
    if current == S.CANCELLING and target not in TERMINAL:
        return None
    return target if can_move(current, target) else None
