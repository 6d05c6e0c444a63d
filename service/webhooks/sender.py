"""One attempt to reach a consumer over HTTP: resolve and check the address, connect to that
address, send the signed event, read at most the first KB of the answer. Every outcome, including
a refusal or a timeout, comes back as an AttemptResult; nothing is written here."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from service.webhooks import backoff, events, signing, ssrf
from service.webhooks.repository import Work

MAX_RESPONSE_BYTES = 1024
USER_AGENT = "finetune-jobs-webhooks/1"


@dataclass(frozen=True)
class Outbound:
    allowed: tuple[ssrf.Network, ...]
    timeout: float  # the whole attempt, DNS included
    resolver: ssrf.Resolver = ssrf.resolve
    transport: httpx.AsyncBaseTransport | None = None  # tests plug a fake receiver in here


@dataclass(frozen=True)
class AttemptResult:
    started_at: datetime
    latency_ms: int
    status_code: int | None = None
    error: str | None = None
    response_body: str | None = None
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


async def send(out: Outbound, work: Work) -> AttemptResult:
    """One attempt, whatever happens: every failure becomes an AttemptResult."""
    started, clock = datetime.now(UTC), time.monotonic()

    def failed(error: str) -> AttemptResult:
        return AttemptResult(started, _elapsed_ms(clock), error=_clean(error))

    try:
        async with asyncio.timeout(out.timeout):
            pinned = await ssrf.pin(work.endpoint.url, out.allowed, out.resolver)
            return await _post(out, work, pinned, started, clock)
    except ssrf.UnsafeUrlError as error:
        return failed(f"refused: {error}")
    except TimeoutError:
        return failed(f"timed out after {out.timeout:g}s")
    except httpx.HTTPError as error:
        return failed(f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)


async def _post(
    out: Outbound, work: Work, pinned: ssrf.Pinned, started: datetime, clock: float
) -> AttemptResult:
    event = work.event
    content = events.body(event.type, event.created_at, event.data)
    keys = signing.signing_secrets(
        work.endpoint.secret,
        work.endpoint.previous_secret,
        work.endpoint.previous_secret_expires_at,
        started,
    )
    url, host, extensions = pinned_request(pinned)
    headers = {
        "Host": host,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signing.headers(keys, event.id, int(started.timestamp()), content),
    }
    async with (
        httpx.AsyncClient(
            transport=out.transport, follow_redirects=False, trust_env=False, timeout=out.timeout
        ) as client,
        client.stream(
            "POST", url, content=content.encode(), headers=headers, extensions=extensions
        ) as response,
    ):
        head = await _read_head(response)
    return AttemptResult(
        started,
        _elapsed_ms(clock),
        status_code=response.status_code,
        error=None if response.is_success else _status_error(response),
        response_body=_clean(head.decode("utf-8", "replace")),
        retry_after=backoff.parse_retry_after(response.headers.get("retry-after"), started),
    )


def pinned_request(pinned: ssrf.Pinned) -> tuple[httpx.URL, str, dict[str, Any]]:
    """Connect to the address that was checked, not to whatever the name resolves to a moment
    later: the URL names the IP, while the Host header and the TLS server name (SNI and
    certificate check) stay the original host."""
    target = pinned.target
    url = target.url.copy_with(host=str(pinned.address))
    host = target.url.netloc.decode("ascii")
    extensions: dict[str, Any] = {}
    if target.url.scheme == "https" and str(pinned.address) != target.host:
        extensions["sni_hostname"] = target.host
    return url, host, extensions


async def _read_head(response: httpx.Response) -> bytes:
    """At most the first KB: a receiver's huge or endless answer is not our problem."""
    head = bytearray()
    async for chunk in response.aiter_bytes():
        head += chunk
        if len(head) >= MAX_RESPONSE_BYTES:
            break
    return bytes(head[:MAX_RESPONSE_BYTES])


def _status_error(response: httpx.Response) -> str:
    if response.is_redirect:
        return f"HTTP {response.status_code} redirect (not followed)"
    return f"HTTP {response.status_code}"


def _clean(text: str) -> str:
    # PostgreSQL text cannot hold NUL.
    return text.replace("\x00", "\ufffd")


def _elapsed_ms(clock: float) -> int:
    return round((time.monotonic() - clock) * 1000)
