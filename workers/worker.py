"""`ftjobs worker`: an RQ worker on the service's queue."""

from __future__ import annotations

from rq import Queue, Worker
from rq.serializers import JSONSerializer

# Imported here, in the worker process, so that every forked work-horse starts with them loaded:
# otherwise each RQ job would spend about a second and a half importing the SDK and the service.
import workers.tasks
import workers.webhook_tasks  # noqa: F401
from service import telemetry
from service.config import Settings
from service.queue import connect


def run_worker(settings: Settings, *, burst: bool = False, name: str | None = None) -> None:
    if not settings.redis_url:
        raise RuntimeError("FTJOBS_REDIS_URL is not set")
    redis = connect(settings.redis_url)
    queue = Queue(settings.queue_name, connection=redis, serializer=JSONSerializer)
    worker = Worker([queue], connection=redis, serializer=JSONSerializer, name=name)
    # Work-horses fork from here and keep the counters' Redis connection.
    telemetry.configure(settings.redis_url)
    worker.work(burst=burst, logging_level=settings.log_level)
