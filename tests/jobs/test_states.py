"""The transition table (pure)."""

from __future__ import annotations

import pytest

from service.jobs.states import TERMINAL, JobStatus, can_move, from_provider, next_status

S = JobStatus


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_nothing_leaves_a_terminal_status(terminal: JobStatus) -> None:
    assert not any(can_move(terminal, target) for target in JobStatus)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.PENDING, S.UPLOADING),
        (S.UPLOADING, S.VALIDATING_FILES),
        (S.UPLOADING, S.SUCCEEDED),  # a recovered submit may find the job already finished
        (S.VALIDATING_FILES, S.QUEUED),
        (S.QUEUED, S.RUNNING),
        (S.RUNNING, S.PAUSED),
        (S.PAUSED, S.QUEUED),
        (S.RUNNING, S.SUCCEEDED),
        (S.RUNNING, S.CANCELLING),
        (S.CANCELLING, S.CANCELLED),
        (S.CANCELLING, S.SUCCEEDED),
    ],
)
def test_legal_moves(current: JobStatus, target: JobStatus) -> None:
    assert can_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.RUNNING, S.PENDING),
        (S.QUEUED, S.UPLOADING),
        (S.PENDING, S.RUNNING),
        (S.CANCELLING, S.RUNNING),
        (S.RUNNING, S.RUNNING),
    ],
)
def test_illegal_moves(current: JobStatus, target: JobStatus) -> None:
    assert not can_move(current, target)


def test_provider_statuses_map_and_unknown_ones_do_not() -> None:
    assert from_provider("validating_files") == S.VALIDATING_FILES
    assert from_provider("paused") == S.PAUSED
    assert from_provider("pausing") is None


def test_next_status_while_cancelling_waits_for_a_final_word() -> None:
    assert next_status(S.CANCELLING, "running") is None
    assert next_status(S.CANCELLING, "cancelled") == S.CANCELLED
    assert next_status(S.RUNNING, "running") is None
    assert next_status(S.UPLOADING, "validating_files") == S.VALIDATING_FILES
    assert next_status(S.RUNNING, "something_new") is None
