"""Console sign-ins: server-side sessions in Redis, named by a random cookie.

The cookie holds a random id and nothing else; Redis holds, under the id's SHA-256 (a copy of
Redis does not hand out live cookies), the key's *id* (never the key) and the session's CSRF
token, for FTJOBS_CONSOLE_SESSION_SECONDS from sign-in, not renewed by use. Every sign-in makes
a new id, so an id planted before sign-in is worth nothing after it. Each page looks the key up
by id again: a revoked key signs its sessions out at once."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis as AsyncRedis

from service.console.csrf import new_token

COOKIE = "ftjobs_console"
LOGIN_CSRF_COOKIE = "ftjobs_console_csrf"
COOKIE_PATH = "/console"
_PREFIX = "ftjobs:console:session:"


@dataclass(frozen=True)
class ConsoleSession:
    id: str  # the cookie's value
    key_id: str
    csrf: str


class SessionStore:
    def __init__(self, redis: AsyncRedis, ttl_seconds: int) -> None:
        self._redis = redis
        self.ttl_seconds = ttl_seconds

    async def create(self, key_id: str) -> ConsoleSession:
        session = ConsoleSession(secrets.token_urlsafe(32), key_id, new_token())
        record = json.dumps({"key_id": session.key_id, "csrf": session.csrf})
        await self._redis.set(_name(session.id), record, ex=self.ttl_seconds)
        return session

    async def load(self, session_id: str | None) -> ConsoleSession | None:
        if not session_id:
            return None
        raw = await self._redis.get(_name(session_id))
        if raw is None:
            return None
        record = json.loads(raw)
        return ConsoleSession(session_id, record["key_id"], record["csrf"])

    async def delete(self, session_id: str) -> None:
        await self._redis.delete(_name(session_id))


def _name(session_id: str) -> str:
    return _PREFIX + hashlib.sha256(session_id.encode()).hexdigest()
