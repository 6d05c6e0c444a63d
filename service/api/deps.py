"""Per-request dependencies: one session (one transaction, committed by the handler) and the
caller's identity."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from redis import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.auth.service import Principal, authenticate
from service.blobstore import BlobStore
from service.config import Settings
from service.queue import WakeUps

# Handlers name what they need; Litestar injects it by parameter name.
Session = NamedDependency[AsyncSession]
Caller = NamedDependency[Principal]


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    wakeups: WakeUps
    blobs: BlobStore

    @property
    def settings_lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lease_seconds)


def resources(state: State) -> Resources:
    found: Resources = state.resources
    return found


async def provide_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    async with resources(state).sessions() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise


async def provide_principal(request: Request[Any, Any, Any], session: Session) -> Principal:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException(
            "missing API key: send `Authorization: Bearer <key>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = await authenticate(session, token.strip())
    if principal is None:
        raise NotAuthorizedException(
            "unknown or revoked API key", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


def team_scope(principal: Principal) -> str | None:
    """Admin keys see every team; any other key sees its own team only."""
    return None if principal.is_admin else principal.team
