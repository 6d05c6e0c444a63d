"""When to look at a job again (pure)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from service.jobs.states import JobStatus

# Multiples of the base poll interval: jobs early in their life change fast; a running job
# changes slowly between metrics; a paused job hardly at all.
_POLL_FACTORS = {
    JobStatus.UPLOADING: 1.0,
    JobStatus.VALIDATING_FILES: 1.0,
    JobStatus.QUEUED: 2.0,
    JobStatus.RUNNING: 2.0,
    JobStatus.PAUSED: 8.0,
    JobStatus.CANCELLING: 1.0,
}


@dataclass(frozen=True)
class Timing:
    poll_interval: float
    lease: float
    retry_base: float
    retry_max: float

    def poll_delay(self, status: JobStatus) -> float:
        return self.poll_interval * _POLL_FACTORS.get(status, 1.0)

    def retry_delay(
        self, attempts: int, retry_after: float | None, rng: random.Random | None = None
    ) -> float:
        """Exponential backoff with full jitter, never sooner than the server asked."""
        ceiling = min(self.retry_max, self.retry_base * 2 ** max(0, attempts - 1))
        delay = (rng or random).uniform(ceiling / 2, ceiling)
        return max(delay, retry_after or 0.0)
