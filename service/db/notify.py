"""LISTEN on one dedicated Postgres connection, kept alive, for caches that must hear about a
change as soon as it commits (NOTIFY is sent at commit, to every listening session).

`on_live(False)` is called whenever notifications may have been missed (not connected yet, the
connection dropped, a heartbeat failed), and `on_live(True)` once listening again; a cache
forgets everything on both, so it never serves what a missed notification would have removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from service.db.reader import plain_dsn

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0  # a silent network failure is noticed within this (+ its timeout)
MAX_RETRY_SECONDS = 10.0


class Listener:
    def __init__(
        self,
        url: str,
        channel: str,
        on_notify: Callable[[str], None],
        on_live: Callable[[bool], None],
        *,
        heartbeat: float = HEARTBEAT_SECONDS,
    ) -> None:
        self._dsn = plain_dsn(url)
        self._channel = channel
        self._on_notify = on_notify
        self._on_live = on_live
        self._heartbeat = heartbeat
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"listen:{self._channel}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        delay = 0.2
        while True:
            try:
                connection = await asyncpg.connect(self._dsn, timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                log.warning("LISTEN %s: cannot connect (%s); retrying", self._channel, exc)
            else:
                try:
                    await self._listen(connection)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                    log.warning("LISTEN %s: connection lost; reconnecting", self._channel)
                    delay = 0.2
                finally:
                    self._on_live(False)
                    connection.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)

    async def _listen(self, connection: asyncpg.Connection) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        await connection.add_listener(self._channel, self._deliver)
        self._on_live(True)
        while not lost.is_set():
            try:
                await asyncio.wait_for(lost.wait(), self._heartbeat)
            except TimeoutError:
                await connection.fetchval("SELECT 1", timeout=5)
        raise ConnectionError("the LISTEN connection was closed")

    def _deliver(self, _connection: object, _pid: int, _channel: str, payload: object) -> None:
        self._on_notify(str(payload))
