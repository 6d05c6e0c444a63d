"""One Together account in memory: its files, jobs and their schedule, and its credit limit.

Everything runs on the server's event loop, so no locks: state changes only in synchronous code.
The clock is lazy, as for every provider: `advance()` (before every request and on the app's
tick) replays each transition that fell due since the last call, at the virtual time it was due.
"""

from __future__ import annotations

import random

from service.emulators.clock import Timeline
from service.emulators.config import RuntimeSettings
from service.emulators.runtime import Runtime
from service.emulators.together import lifecycle
from service.emulators.together.ids import TogetherIds
from service.emulators.together.records import FileRecord, JobRecord


class TogetherWorld:
    """All state of the account; its route handlers get it by dependency injection."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.config = runtime.config
        self.reset()

    def __deepcopy__(self, memo: dict[int, object]) -> TogetherWorld:
        # Litestar deep-copies routers when it registers them: every copy must be this world
        return self

    def reset(self) -> None:
        """Forget every file and job; the credit limit returns to the start-up config."""
        seed = self.config.seed
        # its own stream (seed + 2): OpenAI's world draws from `seed`, the fault dice `seed + 1`
        self.ids = TogetherIds(random.Random(None if seed is None else seed + 2))
        self.signing_key = self.ids.signing_key()
        self.files: dict[str, FileRecord] = {}
        self.jobs: dict[str, JobRecord] = {}
        self.timeline = Timeline()
        self.user_limit = self.config.together_user_limit

    @property
    def settings(self) -> RuntimeSettings:
        return self.runtime.settings

    @property
    def account(self) -> str:
        """The account's name, the first segment of its fine-tuned models' names."""
        return self.config.org

    def now(self) -> float:
        return self.runtime.now()

    def file_with_content(self, checksum: str) -> FileRecord | None:
        """A file whose bytes arrived and hash to `checksum`, if the account has one."""
        return next((f for f in self.files.values() if f.uploaded and f.checksum == checksum), None)

    def waiting_upload(self, checksum: str, filename: str, purpose: str) -> FileRecord | None:
        """A file still waiting for these very bytes: a retried `POST /files` gets it again."""
        return next(
            (
                f
                for f in self.files.values()
                if not f.uploaded
                and f.checksum == checksum
                and (f.filename, f.purpose) == (filename, purpose)
            ),
            None,
        )

    def find_job(self, reference: str) -> JobRecord | None:
        """A job by its id or by the name of the model it produces."""
        job = self.jobs.get(reference)
        if job is not None:
            return job
        return next((j for j in self.jobs.values() if j.output_name == reference), None)

    def advance(self, now: float | None = None) -> None:
        """Apply every transition due by `now`, oldest first, each at its own virtual time."""
        limit = self.now() if now is None else now
        while (entry := self.timeline.pop_due(limit)) is not None:
            at, job_id, version = entry
            job = self.jobs.get(job_id)
            if job is not None and job.version == version:
                lifecycle.fire(self, job, at)

    def schedule(self, job: JobRecord, at: float) -> None:
        job.due_at = at
        self.timeline.schedule(job, at)

    def unschedule(self, job: JobRecord) -> None:
        job.due_at = None
        self.timeline.unschedule(job)
