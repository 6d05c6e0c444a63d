"""The wiring handed down to the domain packages (pure)."""

from __future__ import annotations

from service.jobs.states import JobStatus
from service.pipelines.hooks import on_job_finished
from service.wiring import EVENT_TYPES, JOB_HOOKS


def test_every_job_status_has_an_event_type() -> None:
    assert {f"job.{status.value}" for status in JobStatus} <= EVENT_TYPES
    assert {"dataset.created", "pipeline.succeeded", "pipeline.failed", "ping"} <= EVENT_TYPES
    assert "pipeline.cancelled" not in EVENT_TYPES  # the consumer asked for it: not announced


def test_the_job_hooks_move_pipelines() -> None:
    assert on_job_finished in JOB_HOOKS.on_finished
