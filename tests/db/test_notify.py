"""LISTEN on the real Postgres: notices arrive, and a lost connection is reported and healed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg

from service.db.notify import Listener
from service.db.reader import plain_dsn
from tests.support.services import Backing

CHANNEL = "ftjobs_test_channel"


async def eventually(condition: Callable[[], bool], what: str, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def notify(url: str, payload: str) -> None:
    connection = await asyncpg.connect(plain_dsn(url))
    try:
        await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
    finally:
        await connection.close()


def test_notices_arrive_and_a_dropped_connection_goes_dark_then_live_again(
    backing: Backing,
) -> None:
    async def run() -> None:
        payloads: list[str] = []
        states: list[bool] = []
        listener = Listener(
            backing.database_url, CHANNEL, payloads.append, states.append, heartbeat=0.2
        )
        listener.start()
        try:
            await eventually(lambda: states == [True], "listening")
            await notify(backing.database_url, "key_1")
            await eventually(lambda: payloads == ["key_1"], "the notice")
            await _kill_listener_backends(backing.database_url)
            await eventually(lambda: states[-2:] == [False, True], "a reconnect", within=15)
            await notify(backing.database_url, "key_2")
            await eventually(lambda: payloads == ["key_1", "key_2"], "a notice after it")
        finally:
            await listener.stop()
        assert states[-1] is False  # stopping says that nothing is heard any more

    asyncio.run(run())


async def _kill_listener_backends(url: str) -> None:
    connection = await asyncpg.connect(plain_dsn(url))
    try:
        killed = await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND (query LIKE 'LISTEN%' OR query = 'SELECT 1')"
        )
        assert killed >= 1
    finally:
        await connection.close()
