"""What the domain packages are wired with, in the one place that sees them all.

The lower packages cannot import the upper ones (import-linter's layers), so what an upper one
adds to a lower one's work is handed down from here by the edges (the API, the workers):
- `JOB_HOOKS`: what runs when a job ends (a pipeline starts its next stage). Every caller that
  can end a job passes them; they are a required argument, so none can forget them.
- `EVENT_TYPES`: the webhook events a consumer can subscribe to, built from the statuses the
  jobs and pipelines packages define, so the catalogue cannot drift from them.
"""

from __future__ import annotations

from service.jobs.hooks import JobHooks
from service.jobs.states import JobStatus
from service.pipelines.hooks import on_job_finished
from service.pipelines.transitions import ANNOUNCED
from service.webhooks.events import DATASET_CREATED, PING

JOB_HOOKS = JobHooks(on_finished=(on_job_finished,))

EVENT_TYPES = frozenset(
    {
        DATASET_CREATED,
        *(f"job.{status.value}" for status in JobStatus),
        *(f"pipeline.{status.value}" for status in ANNOUNCED),
        PING,
    }
)
