"""Poll and retry delays (pure)."""

from __future__ import annotations

import random

from service.jobs.states import JobStatus
from service.jobs.timing import Timing

TIMING = Timing(poll_interval=10, lease=120, retry_base=2, retry_max=300)


def test_poll_delay_depends_on_status() -> None:
    assert TIMING.poll_delay(JobStatus.VALIDATING_FILES) == 10
    assert TIMING.poll_delay(JobStatus.RUNNING) == 20
    assert TIMING.poll_delay(JobStatus.PAUSED) == 80


def test_retry_backoff_grows_with_jitter_and_is_capped() -> None:
    rng = random.Random(7)
    first = [TIMING.retry_delay(1, None, rng) for _ in range(50)]
    fifth = [TIMING.retry_delay(5, None, rng) for _ in range(50)]
    late = [TIMING.retry_delay(30, None, rng) for _ in range(50)]
    assert all(1 <= d <= 2 for d in first)
    assert all(16 <= d <= 32 for d in fifth)
    assert len(set(fifth)) > 1  # jittered, not lock-step
    assert max(late) <= 300


def test_retry_after_is_honoured() -> None:
    assert TIMING.retry_delay(1, 45.0, random.Random(1)) == 45.0


def test_plan_polls_waiting_jobs_in_batches_and_steps_the_rest() -> None:
    from service.jobs.reconcile import POLL_BATCH, plan

    due = [
        ("a", "pending", None),
        ("b", "running", None),
        ("c", "running", "pause"),
        ("d", "cancelling", None),
        ("e", "queued", None),
    ]
    wake = plan(due)
    assert wake.steps == ["a", "c", "d"]
    assert wake.polls == [["b", "e"]]
    many = plan([(str(i), "running", None) for i in range(POLL_BATCH + 1)])
    assert [len(batch) for batch in many.polls] == [POLL_BATCH, 1]
