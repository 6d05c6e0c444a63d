"""Counters that every process shares: workers have no HTTP port, so they count into Redis
hashes (HINCRBY is atomic across processes) and the API's /metrics exposes the totals.

Counting never raises and never waits long: metrics must not break or slow the work they count.
While Redis fails, counts are dropped for a few seconds instead of timing out on every call.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence

from redis import Redis

log = logging.getLogger(__name__)

PROVIDER_REQUESTS = "ftjobs_provider_requests_total"
WEBHOOK_DELIVERIES = "ftjobs_webhook_deliveries_total"
# name → label names, in the order the values are stored.
COUNTERS: dict[str, tuple[str, ...]] = {
    PROVIDER_REQUESTS: ("provider", "operation", "outcome"),
    WEBHOOK_DELIVERIES: ("outcome",),
}
DOCS = {
    PROVIDER_REQUESTS: "Requests to a fine-tuning provider by provider, operation and outcome "
    "(ok, or the error kind)",
    WEBHOOK_DELIVERIES: "Webhook delivery attempts by outcome",
}
KEY_PREFIX = "ftjobs:metrics:"
TIMEOUT_SECONDS = 0.25
PAUSE_AFTER_FAILURE_SECONDS = 5.0
MAX_LABEL_LENGTH = 64


class _Sink:
    redis: Redis | None = None
    paused_until: float = 0.0


_sink = _Sink()


def configure(redis_url: str | None) -> None:
    """Call once per process (API start-up, `ftjobs worker` before it forks work-horses: the
    connection pool reconnects in the child). Without it, counts are dropped."""
    _sink.redis = (
        Redis.from_url(
            redis_url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )
        if redis_url
        else None
    )
    _sink.paused_until = 0.0


def count_provider_request(provider: str, operation: str, outcome: str) -> None:
    """One request to a provider (openai, azure, together): `operation` e.g. create_job,
    get_job, upload_file; `outcome` "ok" or the error kind (rate_limited, server_error, …)."""
    _increment(PROVIDER_REQUESTS, (provider, operation, outcome))


def count_webhook_delivery(outcome: str) -> None:
    """One delivery attempt: `outcome` "ok" (2xx) or what went wrong (http_5xx, timeout, …)."""
    _increment(WEBHOOK_DELIVERIES, (outcome,))


def _increment(name: str, labels: Sequence[str]) -> None:
    redis = _sink.redis
    if redis is None or time.monotonic() < _sink.paused_until:
        return
    try:
        redis.hincrby(counter_key(name), encode_labels(labels), 1)
    except Exception:  # anything at all: counting must not fail the work
        _sink.paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS
        log.warning("metrics counter %s not recorded; Redis unavailable", name, exc_info=True)


def counter_key(name: str) -> str:
    return KEY_PREFIX + name


def encode_labels(values: Sequence[str]) -> str:
    return json.dumps([str(value)[:MAX_LABEL_LENGTH] for value in values])


def read_counters(redis: Redis) -> dict[str, dict[tuple[str, ...], float]]:
    """Every shared counter: name → label values → total (raises if Redis does)."""
    pipe = redis.pipeline(transaction=False)
    for name in COUNTERS:
        pipe.hgetall(counter_key(name))
    found: dict[str, dict[tuple[str, ...], float]] = {}
    for name, raw in zip(COUNTERS, pipe.execute(), strict=True):
        found[name] = {}
        for field, value in raw.items():
            labels = _decode_labels(field, len(COUNTERS[name]))
            if labels is not None:
                found[name][labels] = float(value)
    return found


def _decode_labels(field: bytes | str, arity: int) -> tuple[str, ...] | None:
    try:
        values = json.loads(field)
    except ValueError:
        return None
    if not isinstance(values, list) or len(values) != arity:
        return None
    return tuple(str(value) for value in values)
