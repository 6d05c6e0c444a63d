"""The emulator's in-memory world: files, uploads, jobs, the job clock and the fault dice.

Everything runs on the server's event loop, so no locks: state changes only in synchronous code.
The clock is lazy: `advance()` (called before every request and by a background ticker) replays
every transition that fell due since the last call, at the virtual time it was due.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable

from service.emulators.config import EmulatorConfig, RuntimeSettings
from service.emulators.ids import IdFactory
from service.emulators.openai import lifecycle
from service.emulators.openai.records import FileRecord, JobRecord, UploadRecord
from service.emulators.openai.reports import ReportCache

Clock = Callable[[], float]
TerminalListener = Callable[[JobRecord, float], None]


class Timeline:
    """A min-heap of (due, job id); entries whose job changed since are skipped as stale."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str, int]] = []
        self._order = itertools.count()

    def schedule(self, job: JobRecord, at: float) -> None:
        job.version += 1
        heapq.heappush(self._heap, (at, next(self._order), job.id, job.version))

    @staticmethod
    def unschedule(job: JobRecord) -> None:
        job.version += 1

    def pop_due(self, now: float) -> tuple[float, str, int] | None:
        if self._heap and self._heap[0][0] <= now:
            at, _, job_id, version = heapq.heappop(self._heap)
            return at, job_id, version
        return None

    def clear(self) -> None:
        self._heap.clear()


class Emulator:
    """All state of one emulator instance; route handlers get it by dependency injection."""

    def __init__(self, config: EmulatorConfig, clock: Clock = time.time) -> None:
        self.config = config
        self.clock = clock
        self.listeners: list[TerminalListener] = []
        self.reports = ReportCache()  # dataset checks, by (file id, method, param)
        self.reset()

    def __deepcopy__(self, memo: dict[int, object]) -> Emulator:
        # Litestar deep-copies routers, middleware included, when it registers them: every copy
        # must still be this one shared world
        return self

    def reset(self) -> None:
        """Forget every object and return the run-time knobs to the start-up config."""
        seed = self.config.seed
        self.ids = IdFactory(random.Random(seed))
        self.dice = random.Random(None if seed is None else seed + 1)  # faults, apart from ids
        self.settings = RuntimeSettings.from_config(self.config)
        self.files: dict[str, FileRecord] = {}
        self.uploads: dict[str, UploadRecord] = {}
        self.jobs: dict[str, JobRecord] = {}
        self.models: set[str] = set()  # `ft:` models (and checkpoints) this emulator produced
        self.faults_injected: Counter[str] = Counter()
        # OpenAI API requests by operation ("GET /v1/fine_tuning/jobs"), for benchmarks.
        self.requests: Counter[str] = Counter()
        self.reports.clear()  # also stops waiting for checks still running
        self.timeline = Timeline()
        self.running: dict[str, set[str]] = {}  # model -> running job ids
        self.waiting: dict[str, list[str]] = {}  # model -> queued job ids waiting for a slot, FIFO

    def now(self) -> float:
        return self.clock()

    @property
    def organization_id(self) -> str:
        return f"org-{self.config.org}"

    def update_settings(self, patch: dict[str, object]) -> RuntimeSettings:
        self.settings = self.settings.updated(dict(patch))
        return self.settings

    def pick_fault(self) -> str | None:
        """Roll the dice for one request: None, or one of the enabled faults."""
        settings = self.settings
        if not settings.faults or self.dice.random() >= settings.fault_rate:
            return None
        fault = self.dice.choice(settings.faults)
        self.faults_injected[fault] += 1
        return fault

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
