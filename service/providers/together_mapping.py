"""Together's words in ours (pure): job statuses, event ids, metric names, our tag in a
suffix, and where a job starts from.

Kept apart from the adapter so that each rule is tested without a client.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from service.providers.registry import (
    TOGETHER,
    TOGETHER_SUFFIX_LIMIT,
    TOGETHER_TAG_LENGTH,
    TOGETHER_TAG_MARK,
)

# Together's status → ours (jobs.states.JobStatus values). `cancel_requested` is not an end:
# the job is still winding down until Together says `cancelled`.
STATUSES: Mapping[str, str] = {
    "pending": "validating_files",
    "queued": "queued",
    "running": "running",
    "compressing": "running",
    "uploading": "running",
    "cancel_requested": "cancelling",
    "completed": "succeeded",
    "error": "failed",
    "user_error": "failed",
    "cancelled": "cancelled",
}
FAILED_STATUSES = frozenset({"error", "user_error"})
# What an unknown status of Together's becomes in our words: a name no table of ours knows, so
# the job stays where it is (never an end) while `provider_status` keeps Together's word.
UNKNOWN_PREFIX = "together:"


def our_status(together_status: str) -> str:
    return STATUSES.get(together_status, UNKNOWN_PREFIX + together_status)


def is_known(together_status: str) -> bool:
    return together_status in STATUSES


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFacts:
    """The parts of one of Together's events that identify it (they have no id and the list no
    cursor)."""

    created_at: str
    type: str
    message: str
    step: int | None = None
    hash: str | None = None  # Together's own, when it sends one


def event_ids(events: Sequence[EventFacts]) -> list[str]:
    """A stable id per event, in the order given: Together's `hash` when present, otherwise a
    digest of its time, type, message and step. Identical events (the same digest) are told
    apart by their rank among their twins, which does not change as later events arrive."""
    seen: dict[str, int] = {}
    ids = []
    for event in events:
        base = event.hash or _digest(event)
        count = seen.get(base, 0)
        seen[base] = count + 1
        ids.append(f"ev-{base}" if count == 0 else f"ev-{base}-{count}")
    return ids


def _digest(event: EventFacts) -> str:
    text = "\x1f".join((event.created_at, event.type, event.message, str(event.step)))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def after(ids: Sequence[str], after_id: str | None) -> int:
    """Where the events newer than `after_id` begin in `ids` (oldest first): all of them when
    `after_id` is None or no longer listed."""
    if after_id is None or after_id not in ids:
        return 0
    return len(ids) - list(reversed(ids)).index(after_id)


# --- metrics ----------------------------------------------------------------------------------

# Together's metric names (`train/loss`, `eval/loss`, …) as the names our metrics use.
METRIC_NAMES: Mapping[str, str] = {
    "train/global_step": "step",
    "global_step": "step",
    "step": "step",
    "train/loss": "train_loss",
    "eval/loss": "valid_loss",
    "train/learning_rate": "learning_rate",
    "train/rewards/accuracies": "train_reward_accuracy",
    "train/rewards/margins": "train_reward_margin",
    "eval/rewards/accuracies": "valid_reward_accuracy",
    "eval/rewards/margins": "valid_reward_margin",
}


def metric_rows(raw: Iterable[Mapping[str, float]]) -> list[dict[str, float]]:
    """Per-step rows with our names; other names keep Together's, `/` made `_`. Rows without a
    whole step are dropped; two rows of one step merge (train and eval are logged apart)."""
    steps: dict[int, dict[str, float]] = {}
    for record in raw:
        row = {
            METRIC_NAMES.get(name, name.replace("/", "_")): float(value)
            for name, value in record.items()
            if isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
        }
        step = row.get("step")
        if step is not None and step.is_integer():
            steps.setdefault(int(step), {}).update(row)
    return [steps[step] for step in sorted(steps)]


# --- our tag in the suffix ----------------------------------------------------------------------


def job_tag(our_job_id: str) -> str:
    """Our job's mark in the suffix Together gets: jobs carry no metadata there, and this is
    how a job we created is found again after a crash (in its output name)."""
    digest = hashlib.sha256(our_job_id.encode()).hexdigest()
    return f"{TOGETHER_TAG_MARK}{digest[: TOGETHER_TAG_LENGTH - len(TOGETHER_TAG_MARK)]}"


def tagged_suffix(user_suffix: str | None, our_job_id: str) -> str:
    """The caller's suffix and our tag, within Together's 40 characters (the registry's suffix
    rule leaves the room)."""
    tag = job_tag(our_job_id)
    suffix = f"{user_suffix}{tag}" if user_suffix else tag.lstrip("-")
    return suffix[:TOGETHER_SUFFIX_LIMIT]


def carries_tag(output_name: str | None, suffix: str | None, our_job_id: str) -> bool:
    tag = job_tag(our_job_id).lstrip("-")
    return any(tag in text for text in (output_name, suffix) if text)


# --- where a job starts -----------------------------------------------------------------------


def is_checkpoint(model: str) -> bool:
    """A Together job id or a model this service fine-tuned there: the job continues from it
    (`from_checkpoint`) instead of starting from a base model."""
    prefix, infix = TOGETHER.fine_tuned_prefix, TOGETHER.fine_tuned_infix
    return bool(
        (prefix and model.startswith(prefix)) or (infix and infix in model.replace("/", "-"))
    )
