"""`GET /metrics`: Prometheus exposition that is right however many processes run.

- HTTP metrics: each process counts in memory and adds its deltas every second to a Redis hash
  of its host (pod). A scrape reads that hash, so `ftjobs api --workers N` answers the same
  totals from whichever process the scrape reaches; pods are scraped one by one and summed.
- Counters that workers increment (OpenAI requests, webhook deliveries): Redis hashes shared by
  every process (service.telemetry), the same totals from every API process.
- Domain gauges (jobs by status, queue depth, oldest pending job): read at scrape time from
  Postgres and RQ, so they are the truth, not one process's view.

Only a scraper reads it: the route is served on the API's port, so the scrape presents
`FTJOBS_METRICS_TOKEN` as a bearer token (what a Prometheus Operator ServiceMonitor sends from a
Secret). Without a configured token the route answers 404, as if it did not exist.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from litestar import Response, get
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import SecurityScheme
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from redis.asyncio import Redis as AsyncRedis

from service import telemetry
from service.api.deps import resources
from service.api.openapi import Problem
from service.api.problems import PROBLEM_JSON
from service.jobs.states import JobStatus
from service.ops import service as ops

log = logging.getLogger(__name__)

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HTTP_KEY_PREFIX = "ftjobs:metrics:http:"
HOST_KEY_TTL_SECONDS = 7 * 86400  # a pod that is gone stops being refreshed, then vanishes
UNMATCHED = "<unmatched>"
_BUCKET_PARTS = [f"b{index}" for index in range(len(BUCKETS) + 1)]


class HttpMetrics:
    """One process's not-yet-shared HTTP counts."""

    def __init__(self, host: str) -> None:
        self.key = HTTP_KEY_PREFIX + host
        # (method, path, status, part): encoded only when flushed, off the request path.
        self._counts: Counter[tuple[str, str, int, str]] = Counter()
        self._sums: defaultdict[tuple[str, str, int, str], float] = defaultdict(float)

    def observe(self, method: str, path: str, status: int, seconds: float) -> None:
        self._counts[(method, path, status, "n")] += 1
        self._counts[(method, path, status, _BUCKET_PARTS[bisect_left(BUCKETS, seconds)])] += 1
        self._sums[(method, path, status, "s")] += seconds

    async def flush(self, redis: AsyncRedis) -> None:
        """Adds the deltas in one transaction; kept for the next flush if Redis fails."""
        counts, sums = self._counts, self._sums
        if not counts:
            return
        self._counts, self._sums = Counter(), defaultdict(float)
        try:
            async with redis.pipeline(transaction=True) as pipe:
                for labels, count in counts.items():
                    pipe.hincrby(self.key, _field(*labels), count)
                for labels, total in sums.items():
                    pipe.hincrbyfloat(self.key, _field(*labels), total)
                pipe.expire(self.key, HOST_KEY_TTL_SECONDS)
                await pipe.execute()
        except Exception:
            self._counts.update(counts)
            for labels, total in sums.items():
                self._sums[labels] += total
            raise


def _field(method: str, path: str, status: int, part: str) -> str:
    return json.dumps([method, path, str(status), part])


def http_families(raw: dict[bytes, bytes]) -> list[Metric]:
    requests = CounterMetricFamily(
        "ftjobs_http_requests",
        "HTTP requests by method, route template and status code",
        labels=["method", "path", "status_code"],
    )
    counts: dict[tuple[str, str, str], float] = defaultdict(float)
    sums: dict[tuple[str, str], float] = defaultdict(float)
    buckets: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * (len(BUCKETS) + 1))
    for field, value in raw.items():
        method, path, status, part = json.loads(field)
        if part == "n":
            counts[(method, path, status)] += float(value)
        elif part == "s":
            sums[(method, path)] += float(value)
        else:
            buckets[(method, path)][int(part[1:])] += float(value)
    for labels, count in sorted(counts.items()):
        requests.add_metric(list(labels), count)
    return [requests, _histogram(buckets, sums)]


def _histogram(
    buckets: dict[tuple[str, str], list[float]], sums: dict[tuple[str, str], float]
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(
        "ftjobs_http_request_duration_seconds",
        "HTTP request latency (until the last byte is sent) by method and route template",
        labels=["method", "path"],
    )
    bounds = [*(str(bound) for bound in BUCKETS), "+Inf"]
    for labels, per_bucket in sorted(buckets.items()):
        cumulative, running = [], 0.0
        for bound, count in zip(bounds, per_bucket, strict=True):
            running += count
            cumulative.append((bound, running))
        family.add_metric(list(labels), cumulative, sum_value=sums[labels])
    return family


def shared_counter_families(found: dict[str, dict[tuple[str, ...], float]]) -> list[Metric]:
    families: list[Metric] = []
    for name, labels in telemetry.COUNTERS.items():
        family = CounterMetricFamily(name, telemetry.DOCS[name], labels=list(labels))
        for values, total in sorted(found.get(name, {}).items()):
            family.add_metric(list(values), total)
        families.append(family)
    return families


def domain_families(snapshot: ops.MetricsSnapshot, queue: str) -> list[Metric]:
    jobs = GaugeMetricFamily(
        "ftjobs_jobs", "Jobs by provider and status (from Postgres)", labels=["provider", "status"]
    )
    for provider in sorted({"openai", *(provider for provider, _ in snapshot.jobs_by_status)}):
        for status in JobStatus:
            count = snapshot.jobs_by_status.get((provider, status.value), 0)
            jobs.add_metric([provider, status.value], count)
    depth = GaugeMetricFamily("ftjobs_queue_depth", "RQ jobs waiting", labels=["queue"])
    if snapshot.queue_depth is not None:
        depth.add_metric([queue], snapshot.queue_depth)
    oldest = GaugeMetricFamily(
        "ftjobs_oldest_pending_job_age_seconds", "Age of the oldest pending job (0: none)"
    )
    oldest.add_metric([], snapshot.oldest_pending_seconds or 0.0)
    return [jobs, depth, oldest]


class _Snapshot:
    """A collector over families read before the scrape (the registry calls it synchronously)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def render(families: Iterable[Metric]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(families))
    return generate_latest(registry)


METRICS_SECURITY = "metricsToken"
METRICS_SECURITY_SCHEME = SecurityScheme(
    type="http",
    scheme="bearer",
    description="GET /metrics only: the token configured as FTJOBS_METRICS_TOKEN (not an API key)",
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def scraper_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The guard of GET /metrics: 404 without a configured token, 401 without that token.

    API keys do not open it: they belong to teams, and the metrics count every team's jobs."""
    expected = resources(connection.app.state).settings.metrics_scrape_token()
    if expected is None:
        raise NotFoundException()  # what any unknown path answers
    presented = _bearer(connection.headers.get("authorization", ""))
    # Constant time: how long a comparison takes must not tell how much of a guess was right.
    if not hmac.compare_digest(presented.encode(), expected.encode()):
        raise NotAuthorizedException(
            "send `Authorization: Bearer <FTJOBS_METRICS_TOKEN>`", headers=_CHALLENGE
        )


def _bearer(header: str) -> str:
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _refusal(description: str) -> ResponseSpec:
    return ResponseSpec(
        Problem, description=description, media_type=PROBLEM_JSON, generate_examples=False
    )


@get(
    "/metrics",
    tags=["ops"],
    media_type=CONTENT_TYPE_LATEST,
    guards=[scraper_only],
    security=[{METRICS_SECURITY: []}],
    responses={
        401: _refusal("no or another bearer token than FTJOBS_METRICS_TOKEN"),
        404: _refusal("FTJOBS_METRICS_TOKEN is not set: metrics are not served"),
    },
)
async def metrics(state: State) -> Response[bytes]:
    """Prometheus exposition: HTTP metrics of this pod, shared worker counters, and gauges
    read from Postgres and RQ at scrape time. For the scraper only: it presents the metrics
    token (FTJOBS_METRICS_TOKEN), not an API key; without a configured token, 404."""
    res, edge = resources(state), state.edge
    families: list[Metric] = []
    up = GaugeMetricFamily("ftjobs_metrics_source_up", "Sources read", labels=["source"])
    try:
        await edge.http.flush(edge.redis)
        families += http_families(await edge.redis.hgetall(edge.http.key))
        families += shared_counter_families(
            await asyncio.to_thread(telemetry.read_counters, res.redis)
        )
        up.add_metric(["redis"], 1)
    except Exception:  # a scrape still answers with what it could read
        log.warning("metrics: Redis unavailable", exc_info=True)
        up.add_metric(["redis"], 0)
    try:
        async with res.sessions() as session:
            snapshot = await ops.metrics_snapshot(session, res.wakeups)
        families += domain_families(snapshot, res.settings.queue_name)
        up.add_metric(["postgres"], 1)
    except Exception:
        log.warning("metrics: Postgres unavailable", exc_info=True)
        up.add_metric(["postgres"], 0)
    return Response(render([*families, up]), media_type=CONTENT_TYPE_LATEST)
