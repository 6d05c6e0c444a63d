"""One OpenAI-compatible world in memory: files, uploads, jobs and their schedule.

Each provider that serves the API builds its own (OpenAI's and Azure's never share a file or a
job), spelled by its `Flavor`.

Everything runs on the server's event loop, so no locks: state changes only in synchronous code.
The clock is lazy: `advance()` (called before every request and by the app's background ticker)
replays every transition that fell due since the last call, at the virtual time it was due. The
run-time knobs, the fault dice and the request counts are the app's (`emulators.runtime`).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from service.emulators.clock import Timeline
from service.emulators.config import RuntimeSettings
from service.emulators.openai_compat import lifecycle
from service.emulators.openai_compat.flavor import Flavor
from service.emulators.openai_compat.records import FileRecord, JobRecord, UploadRecord
from service.emulators.openai_compat.reports import ReportCache
from service.emulators.runtime import Runtime

TerminalListener = Callable[[JobRecord, float], None]


class Emulator:
    """All state of one world; its route handlers get it by dependency injection."""

    def __init__(self, runtime: Runtime, flavor: Flavor) -> None:
        self.runtime = runtime
        self.flavor = flavor
        self.config = runtime.config
        self.listeners: list[TerminalListener] = []
        # dataset checks, by (file id, method, param), with the flavor's rule for outputs
        self.reports = ReportCache(flavor.dpo_outputs)
        self.reset()

    def __deepcopy__(self, memo: dict[int, object]) -> Emulator:
        # Litestar deep-copies routers, middleware included, when it registers them: every copy
        # must still be this one shared world
        return self

    def reset(self) -> None:
        """Forget every object (the app resets the run-time knobs and counts on its own)."""
        self.ids = self.flavor.ids(random.Random(self.config.seed))
        self.files: dict[str, FileRecord] = {}
        self.uploads: dict[str, UploadRecord] = {}
        self.jobs: dict[str, JobRecord] = {}
        self.models: set[str] = set()  # fine-tuned models (and checkpoints) this world produced
        self.reports.clear()  # also stops waiting for checks still running
        self.timeline = Timeline()
        self.running: dict[str, set[str]] = {}  # model -> running job ids
        self.waiting: dict[str, list[str]] = {}  # model -> queued job ids waiting for a slot, FIFO

    @property
    def settings(self) -> RuntimeSettings:
        """The run-time knobs; the app's, so `POST /_emulator/faults` reaches every provider."""
        return self.runtime.settings

    def now(self) -> float:
        return self.runtime.now()

    @property
    def organization_id(self) -> str:
        return f"org-{self.config.org}"

    # files --------------------------------------------------------------------------------

    def add_file(
        self,
        content: bytes,
        *,
        filename: str,
        purpose: str,
        expires_at: int | None = None,
        created_at: float | None = None,
    ) -> FileRecord:
        record = FileRecord(
            id=self.ids.file(),
            filename=filename,
            purpose=purpose,
            content=content,
            created_at=int(self.now() if created_at is None else created_at),
            expires_at=expires_at,
        )
        self.files[record.id] = record
        return record

    def get_file(self, file_id: str) -> FileRecord | None:
        """A file, unless it never existed, was deleted or has expired (then it is dropped)."""
        record = self.files.get(file_id)
        if record is not None and record.expires_at is not None and record.expires_at <= self.now():
            del self.files[file_id]
            return None
        return record

    def live_files(self) -> list[FileRecord]:
        return [record for file_id in list(self.files) if (record := self.get_file(file_id))]

    # the job clock ------------------------------------------------------------------------

    def advance(self, now: float | None = None) -> None:
        """Apply every transition due by `now`, oldest first, each at its own virtual time."""
        limit = self.now() if now is None else now
        while (entry := self.timeline.pop_due(limit)) is not None:
            at, job_id, version = entry
            job = self.jobs.get(job_id)
            if job is not None and job.version == version:
                lifecycle.fire(self, job, at)

    def notify_terminal(self, job: JobRecord, at: float) -> None:
        for listener in self.listeners:
            listener(job, at)
