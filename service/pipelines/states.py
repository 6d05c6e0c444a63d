"""Pipeline statuses, and what the end of a stage job means for its pipeline (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from service.jobs.states import JobStatus


class PipelineStatus(StrEnum):
    RUNNING_SFT = "running_sft"
    RUNNING_DPO = "running_dpo"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Stage(StrEnum):
    SFT = "sft"
    DPO = "dpo"


P = PipelineStatus
TERMINAL = frozenset({P.SUCCEEDED, P.FAILED, P.CANCELLED})
# The stage whose job a running pipeline waits for.
RUNNING_STAGE = {P.RUNNING_SFT: Stage.SFT, P.RUNNING_DPO: Stage.DPO}


@dataclass(frozen=True)
class Decision:
    status: PipelineStatus
    start_dpo: bool = False
    failed_stage: Stage | None = None


_LEGAL: dict[PipelineStatus, frozenset[PipelineStatus]] = {
    P.RUNNING_SFT: frozenset({P.RUNNING_DPO, P.FAILED, P.CANCELLED}),
    P.RUNNING_DPO: TERMINAL,
    **{status: frozenset() for status in TERMINAL},
}


def can_move(current: PipelineStatus, target: PipelineStatus) -> bool:
    return target in _LEGAL[current]


def is_terminal(status: PipelineStatus) -> bool:
    return status in TERMINAL


def after_stage(
    status: PipelineStatus, stage: Stage, job_status: JobStatus, *, cancel_requested: bool
) -> Decision | None:
    """Where the pipeline goes when its `stage` job ends with `job_status`; None when that
    changes nothing (a stage it is not waiting for, or a job that has not ended)."""
    if RUNNING_STAGE.get(status) != stage:
        return None
    if job_status == JobStatus.FAILED:
        return Decision(P.FAILED, failed_stage=stage)
    if job_status == JobStatus.CANCELLED:
        return Decision(P.CANCELLED)
    if job_status != JobStatus.SUCCEEDED:
        return None
    if stage == Stage.DPO:
        return Decision(P.SUCCEEDED)
    # A cancel that raced with SFT's success still wins: the next stage never starts.
    if cancel_requested:
        return Decision(P.CANCELLED)
    return Decision(P.RUNNING_DPO, start_dpo=True)
