"""RQ entry points for webhooks to consumers: ids in, the service layer does the work."""

from __future__ import annotations

import asyncio

from service.config import get_settings
from service.webhooks import delivery
from workers.runtimes import delivery_runtime


def deliver_webhook(delivery_id: str) -> None:
    """Send one attempt of a delivery if one is due, and record it."""
    asyncio.run(_deliver(delivery_id))


async def _deliver(delivery_id: str) -> None:
    async with delivery_runtime(get_settings()) as runtime:
        await delivery.deliver(runtime, delivery_id)
