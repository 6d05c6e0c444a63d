"""A scripted FineTuningProvider for lifecycle tests (the e2e tests use the real SDK)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from service.providers.base import (
    OUR_ID_METADATA_KEY,
    JobSpec,
    PriceEstimate,
    ProviderError,
    RemoteCheckpoint,
    RemoteEvent,
    RemoteJob,
)
from service.providers.limits import ModelLimits


@dataclass
class FakeProvider:
    jobs: dict[str, RemoteJob] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # filename -> id
    calls: list[str] = field(default_factory=list)
    specs: list[JobSpec] = field(default_factory=list)  # every create_job request
    # Raised by the next create_job call; `create_then_raise` creates the job first.
    create_error: ProviderError | None = None
    create_then_raise: bool = False
    get_error: ProviderError | None = None
    list_error: ProviderError | None = None
    ids: itertools.count[int] = field(default_factory=itertools.count)
    # What preflight answers (None: no estimate, as OpenAI) or raises.
    estimate: PriceEstimate | None = None
    preflight_error: ProviderError | None = None
    models: list[ModelLimits] | None = None

    async def tunable_models(self) -> list[ModelLimits] | None:
        self.calls.append("tunable_models")
        return self.models

    async def preflight(self, spec: JobSpec) -> PriceEstimate | None:
        self.calls.append("preflight")
        if self.preflight_error is not None:
            raise self.preflight_error
        return self.estimate

    async def upload_file(self, filename: str, stream: BinaryIO, size: int) -> str:
        self.calls.append("upload_file")
        assert len(stream.read()) == size
        self.files[filename] = f"file-{next(self.ids)}"
        return self.files[filename]

    async def find_file(self, filename: str) -> str | None:
        self.calls.append("find_file")
        return self.files.get(filename)

    async def create_job(self, spec: JobSpec) -> RemoteJob:
        self.calls.append("create_job")
        self.specs.append(spec)
        error, self.create_error = self.create_error, None
        if error is not None and not self.create_then_raise:
            raise error
        job = RemoteJob(
            id=f"ftjob-{next(self.ids)}",
            status="validating_files",
            model=spec.model,
            metadata={**spec.metadata, OUR_ID_METADATA_KEY: spec.our_id},
            training_file=spec.training_file,
        )
        self.jobs[job.id] = job
        if error is not None:
            raise error
        return job

    async def find_jobs(self, spec: JobSpec) -> list[RemoteJob]:
        self.calls.append("find_job")
        return [j for j in self.jobs.values() if j.metadata.get(OUR_ID_METADATA_KEY) == spec.our_id]

    async def get_job(self, job_id: str) -> RemoteJob:
        self.calls.append("get_job")
        if self.get_error is not None:
            raise self.get_error
        return self.jobs[job_id]

    async def list_jobs(self, after: str | None, limit: int) -> tuple[list[RemoteJob], bool]:
        self.calls.append("list_jobs")
        if self.list_error is not None:
            raise self.list_error
        newest_first = list(self.jobs.values())[::-1]
        start = 0
        if after is not None:
            start = next(i for i, job in enumerate(newest_first) if job.id == after) + 1
        page = newest_first[start : start + limit]
        return page, start + limit < len(newest_first)

    async def list_new_events(self, job_id: str, after_event_id: str | None) -> list[RemoteEvent]:
        self.calls.append("list_new_events")
        return []

    async def cancel_job(self, job_id: str) -> RemoteJob:
        self.calls.append("cancel_job")
        self.jobs[job_id] = replace(self.jobs[job_id], status="cancelled")
        return self.jobs[job_id]

    async def pause_job(self, job_id: str) -> RemoteJob:
        self.calls.append("pause_job")
        raise ProviderError("not running", code="invalid_state", status=400, retryable=False)

    async def resume_job(self, job_id: str) -> RemoteJob:
        return self.jobs[job_id]

    async def list_checkpoints(self, job_id: str) -> list[RemoteCheckpoint]:
        self.calls.append("list_checkpoints")
        return []

    async def result_metrics(self, file_id: str) -> list[dict[str, float]]:
        self.calls.append("result_metrics")
        return [{"step": 1.0, "train_loss": 0.5}]

    async def close(self) -> None:
        return None

    async def create_job_for(self, our_id: str) -> RemoteJob:
        """A remote job made for our job `our_id`, as the submit step would make it."""
        spec = JobSpec(
            our_id=our_id,
            model="m",
            training_file="file-x",
            method="dpo",
            hyperparameters={},
            metadata={},
        )
        job = await self.create_job(spec)
        self.calls.clear()
        return job

    def finish(self, job_id: str, status: str) -> None:
        self.jobs[job_id] = replace(
            self.jobs[job_id],
            status=status,
            fine_tuned_model="ft:m:org::abc" if status == "succeeded" else None,
        )
