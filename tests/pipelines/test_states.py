"""What the end of a stage job means for its pipeline (pure)."""

from __future__ import annotations

import pytest

from service.jobs.states import JobStatus
from service.pipelines.states import (
    Decision,
    PipelineStatus,
    Stage,
    after_stage,
    can_move,
    is_terminal,
)

P = PipelineStatus
J = JobStatus


@pytest.mark.parametrize(
    ("status", "stage", "job", "cancel", "expected"),
    [
        (P.RUNNING_SFT, Stage.SFT, J.SUCCEEDED, False, Decision(P.RUNNING_DPO, start_dpo=True)),
        # the cancel mark wins over a success that raced with it: no DPO stage
        (P.RUNNING_SFT, Stage.SFT, J.SUCCEEDED, True, Decision(P.CANCELLED)),
        (P.RUNNING_SFT, Stage.SFT, J.FAILED, False, Decision(P.FAILED, failed_stage=Stage.SFT)),
        (P.RUNNING_SFT, Stage.SFT, J.FAILED, True, Decision(P.FAILED, failed_stage=Stage.SFT)),
        (P.RUNNING_SFT, Stage.SFT, J.CANCELLED, False, Decision(P.CANCELLED)),
        (P.RUNNING_DPO, Stage.DPO, J.SUCCEEDED, False, Decision(P.SUCCEEDED)),
        (P.RUNNING_DPO, Stage.DPO, J.SUCCEEDED, True, Decision(P.SUCCEEDED)),
        (P.RUNNING_DPO, Stage.DPO, J.FAILED, False, Decision(P.FAILED, failed_stage=Stage.DPO)),
        (P.RUNNING_DPO, Stage.DPO, J.CANCELLED, True, Decision(P.CANCELLED)),
    ],
)
def test_a_finished_stage_moves_the_pipeline(
    status: PipelineStatus, stage: Stage, job: JobStatus, cancel: bool, expected: Decision
) -> None:
    assert after_stage(status, stage, job, cancel_requested=cancel) == expected


@pytest.mark.parametrize(
    ("status", "stage", "job"),
    [
        # the SFT job's hook running again once the DPO stage has started: nothing happens
        (P.RUNNING_DPO, Stage.SFT, J.SUCCEEDED),
        (P.RUNNING_SFT, Stage.DPO, J.SUCCEEDED),
        *[
            (done, stage, J.SUCCEEDED)
            for done in (P.SUCCEEDED, P.FAILED, P.CANCELLED)
            for stage in Stage
        ],
        (P.RUNNING_SFT, Stage.SFT, J.RUNNING),
        (P.RUNNING_DPO, Stage.DPO, J.CANCELLING),
    ],
)
def test_nothing_happens_for_a_stage_the_pipeline_is_not_waiting_for(
    status: PipelineStatus, stage: Stage, job: JobStatus
) -> None:
    assert after_stage(status, stage, job, cancel_requested=False) is None


def test_terminal_statuses() -> None:
    assert {s for s in PipelineStatus if is_terminal(s)} == {P.SUCCEEDED, P.FAILED, P.CANCELLED}


def test_the_legal_moves() -> None:
    legal = {(a, b) for a in PipelineStatus for b in PipelineStatus if can_move(a, b)}
    assert legal == {
        (P.RUNNING_SFT, P.RUNNING_DPO),
        (P.RUNNING_SFT, P.FAILED),
        (P.RUNNING_SFT, P.CANCELLED),
        (P.RUNNING_DPO, P.SUCCEEDED),
        (P.RUNNING_DPO, P.FAILED),
        (P.RUNNING_DPO, P.CANCELLED),
    }


@pytest.mark.parametrize(
    ("status", "stage", "job", "cancel"),
    [
        (P.RUNNING_SFT, Stage.SFT, J.SUCCEEDED, False),
        (P.RUNNING_SFT, Stage.SFT, J.FAILED, False),
        (P.RUNNING_DPO, Stage.DPO, J.SUCCEEDED, False),
        (P.RUNNING_DPO, Stage.DPO, J.CANCELLED, True),
    ],
)
def test_every_decision_is_a_legal_move(
    status: PipelineStatus, stage: Stage, job: JobStatus, cancel: bool
) -> None:
    decision = after_stage(status, stage, job, cancel_requested=cancel)
    assert decision is not None
    assert can_move(status, decision.status)
