"""The edge's per-process machinery: request ids and log context, HTTP metrics, and the async
Redis client the rate limiter and the metrics share."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import time
import uuid
from dataclasses import dataclass, field

from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from redis.asyncio import Redis as AsyncRedis

from service import telemetry
from service.api.metrics import UNMATCHED, HttpMetrics
from service.api.ratelimit import RateLimiter
from service.auth.cache import PrincipalCache
from service.auth.keys import REVOCATIONS_CHANNEL
from service.config import Settings
from service.db.notify import Listener
from service.logs import JOB_ID, REQUEST_ID, TEAM, register_secret

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
# A caller's id is echoed only if it is short and plain (it lands in every log line).
_GOOD_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
FLUSH_SECONDS = 1.0


@dataclass
class Edge:
    redis: AsyncRedis
    http: HttpMetrics
    revocations: Listener
    flusher: asyncio.Task[None] | None = field(default=None)


def new_http_metrics() -> HttpMetrics:
    return HttpMetrics(socket.gethostname())


async def start_edge(state: State, settings: Settings, http: HttpMetrics) -> None:
    """On start-up: the shared counters, the rate limiter, the key cache and the revocation
    listener that keeps it honest, the metrics flusher, and the secrets the log filter must
    know by value."""
    if not settings.redis_url or not settings.database_url:
        raise RuntimeError("FTJOBS_DATABASE_URL and FTJOBS_REDIS_URL must be set")
    telemetry.configure(settings.redis_url)
    register_secret(settings.openai_key())
    register_secret(settings.metrics_scrape_token())
    for secret in (settings.openai_webhook_secret, settings.emulator_webhook_secret):
        register_secret(secret.get_secret_value() if secret else None)
    redis = AsyncRedis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    state.rate_limiter = RateLimiter(
        redis, per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst
    )
    keys = PrincipalCache(settings.auth_cache_seconds)
    state.key_cache = keys
    revocations = Listener(
        settings.database_url, REVOCATIONS_CHANNEL, keys.on_revoked, keys.set_live
    )
    revocations.start()
    edge = Edge(redis=redis, http=http, revocations=revocations)
    edge.flusher = asyncio.create_task(_flush_forever(edge))
    state.edge = edge


async def stop_edge(state: State) -> None:
    edge: Edge | None = state.get("edge")
    if edge is None:
        return
    await edge.revocations.stop()
    if edge.flusher is not None:
        edge.flusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await edge.flusher
    with contextlib.suppress(Exception):
        await edge.http.flush(edge.redis)
    await edge.redis.aclose()


async def _flush_forever(edge: Edge) -> None:
    while True:
        await asyncio.sleep(FLUSH_SECONDS)
        try:
            await edge.http.flush(edge.redis)
        except Exception:
            log.warning("HTTP metrics not flushed to Redis; kept for the next try", exc_info=True)


class RequestContextMiddleware:
    """Gives every request an id (the caller's `X-Request-ID` or a new one, echoed back), puts
    it and the job id of the route into the log context, and times the request for metrics."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        job_id = scope.get("path_params", {}).get("job_id")
        tokens = (REQUEST_ID.set(request_id), JOB_ID.set(job_id), TEAM.set(None))
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers") or [])
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = scope.get("path_template") or UNMATCHED
            self.metrics.observe(scope["method"], path, status, time.perf_counter() - started)
            for var, token in zip((REQUEST_ID, JOB_ID, TEAM), tokens, strict=True):
                var.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER.encode():
            presented = value.decode("latin-1")
            if _GOOD_REQUEST_ID.match(presented):
                return presented
            break
    return uuid.uuid4().hex
