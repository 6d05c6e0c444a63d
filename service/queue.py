"""Wake-ups over Redis: the only `rq` import in service/.

RQ carries ids only; the row in Postgres says what to do. A lost message costs latency, because
the scheduler re-drives every row whose `wake_at` has passed.

A job is enqueued at most once until a worker picks it up: a short-lived marker per job id
(`SET NX` with a TTL) says a wake-up is already waiting, so a busy queue is not flooded with
copies of the same wake-up every time the scheduler looks. The worker clears the marker when it
starts, so a change made while it works gets a wake-up of its own.
"""

from __future__ import annotations

import logging

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

log = logging.getLogger(__name__)

ADVANCE_JOB = "workers.tasks.advance_job"
POLL_JOBS = "workers.tasks.poll_jobs"
REFRESH_PROVIDER_MODELS = "workers.tasks.refresh_provider_models"


def connect(redis_url: str) -> Redis:
    return Redis.from_url(redis_url, socket_timeout=10, socket_connect_timeout=5)


def waiting_key(job_id: str) -> str:
    return f"ftjobs:wake:{job_id}"


def picked_up(redis: Redis, job_ids: list[str]) -> None:
    """A worker starts on these jobs: later wake-ups may be queued again."""
    try:
        redis.delete(*(waiting_key(job_id) for job_id in job_ids))
    except Exception:  # the marker's TTL clears it anyway
        log.warning("could not clear wake-up markers", exc_info=True)


class WakeUps:
    def __init__(
        self, redis: Redis, *, queue_name: str, job_timeout: int, waiting_ttl: int = 120
    ) -> None:
        self._redis = redis
        self._queue = Queue(queue_name, connection=redis, serializer=JSONSerializer)
        self._job_timeout = job_timeout
        self._waiting_ttl = waiting_ttl

    def advance_job(self, job_id: str) -> None:
        if self._not_waiting([job_id]):
            self.enqueue(ADVANCE_JOB, job_id)

    def poll_jobs(self, job_ids: list[str]) -> None:
        fresh = self._not_waiting(job_ids)
        if fresh:
            self.enqueue(POLL_JOBS, fresh)

    def _not_waiting(self, job_ids: list[str]) -> list[str]:
        """Marks the jobs as waiting; returns those that were not already."""
        try:
            pipe = self._redis.pipeline(transaction=False)
            for job_id in job_ids:
                pipe.set(waiting_key(job_id), 1, nx=True, ex=self._waiting_ttl)
            return [job_id for job_id, new in zip(job_ids, pipe.execute(), strict=True) if new]
        except Exception:  # Redis trouble: enqueue anyway (duplicates are harmless)
            log.warning("could not mark wake-ups", exc_info=True)
            return job_ids

    def enqueue(self, function: str, *args: object) -> None:
        """Best effort by design: the row is already committed, and the scheduler will find it."""
        try:
            self._queue.enqueue(
                function, *args, job_timeout=self._job_timeout, result_ttl=0, failure_ttl=86400
            )
        except Exception:
            log.warning(
                "enqueue of %s%s failed; the scheduler will re-drive it",
                function,
                args,
                exc_info=True,
            )

    def depth(self) -> int:
        return int(self._queue.count)
