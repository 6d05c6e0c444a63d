"""Wake-ups over Redis: the only `rq` import in service/.

RQ carries ids only; the row in Postgres says what to do. A lost message costs latency, because
the scheduler re-drives every row whose `wake_at` has passed.
"""

from __future__ import annotations

import logging

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

log = logging.getLogger(__name__)

ADVANCE_JOB = "workers.tasks.advance_job"
POLL_JOBS = "workers.tasks.poll_jobs"


def connect(redis_url: str) -> Redis:
    return Redis.from_url(redis_url, socket_timeout=10, socket_connect_timeout=5)


class WakeUps:
    def __init__(self, redis: Redis, *, queue_name: str, job_timeout: int) -> None:
        self._queue = Queue(queue_name, connection=redis, serializer=JSONSerializer)
        self._job_timeout = job_timeout

    def advance_job(self, job_id: str) -> None:
        self.enqueue(ADVANCE_JOB, job_id)

    def poll_jobs(self, job_ids: list[str]) -> None:
        self.enqueue(POLL_JOBS, job_ids)

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
