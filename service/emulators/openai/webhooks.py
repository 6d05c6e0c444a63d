"""OpenAI-style webhooks on entering succeeded/failed/cancelled (reference §5, §8).

Standard Webhooks: `webhook-id` (the same on every retry), a fresh `webhook-timestamp` per
attempt, `webhook-signature: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>` where key =
base64decode(secret[6:]). Non-2xx answers and transport errors are retried with exponential
backoff (OpenAI's 72 hours compressed into seconds). Test modes: bad_signature, stale_timestamp,
duplicate.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import time
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import msgspec

from service.emulators.openai_compat.records import JobRecord
from service.emulators.openai_compat.state import Emulator

USER_AGENT = "OpenAI/1.0 (+https://platform.openai.com/docs/webhooks)"
STALE_BY_SECONDS = 600  # past the SDK's 300 s tolerance


@dataclass
class Delivery:
    event_id: str
    webhook_id: str
    type: str
    job_id: str
    url: str
    attempts: int = 0
    delivered: bool = False
    last_status: int | None = None


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    content = f"{webhook_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


class WebhookSender:
    """Listens for terminal jobs and posts one event per configured URL in the background."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.deliveries: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        emu.listeners.append(self.job_finished)

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.emu.config.webhook_timeout_seconds)

    async def aclose(self) -> None:
        await self.cancel_all()
        if self._client is not None:
            await self._client.aclose()

    async def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def job_finished(self, job: JobRecord, at: float) -> None:
        """Called synchronously by the state machine, after the job's new state is stored."""
        if not self.emu.config.webhook_urls:
            return
        event = {
            "object": "event",
            "id": self.emu.ids.hex("evt_"),
            "type": f"fine_tuning.job.{job.status}",
            "created_at": int(at),
            "data": {"id": job.id},
        }
        body = msgspec.json.encode(event)
        webhook_id = self.emu.ids.hex("wh_")
        for url in self.emu.config.webhook_urls:
            delivery = Delivery(str(event["id"]), webhook_id, str(event["type"]), job.id, url)
            self.deliveries.append(delivery)
            task = asyncio.get_running_loop().create_task(self._deliver(delivery, body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, delivery: Delivery, body: bytes) -> None:
        config = self.emu.config
        for attempt in range(config.webhook_max_attempts):
            delivery.attempts += 1
            delivery.last_status = await self._post(delivery, body)
            if delivery.last_status is not None and 200 <= delivery.last_status < 300:
                delivery.delivered = True
                if "duplicate" in self.emu.settings.webhook_modes:
                    await self._post(delivery, body)  # at-least-once: receivers must dedupe
                return
            await asyncio.sleep(config.webhook_retry_base_seconds * 2**attempt)

    async def _post(self, delivery: Delivery, body: bytes) -> int | None:
        assert self._client is not None, "start() runs in the app's lifespan"
        try:
            response = await self._client.post(
                delivery.url, content=body, headers=self.headers(delivery.webhook_id, body)
            )
        except httpx.HTTPError:
            return None
        return response.status_code

    def headers(self, webhook_id: str, body: bytes) -> dict[str, str]:
        modes = self.emu.settings.webhook_modes
        timestamp = int(time.time()) - (STALE_BY_SECONDS if "stale_timestamp" in modes else 0)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
        }
        secret = self.emu.config.webhook_secret
        if secret is not None:
            signed_body = body + b" " if "bad_signature" in modes else body
            headers["webhook-signature"] = f"v1,{sign(secret, webhook_id, timestamp, signed_body)}"
        return headers

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(delivery) for delivery in self.deliveries]

    async def reset(self) -> None:
        await self.cancel_all()
        self.deliveries.clear()
