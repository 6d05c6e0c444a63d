"""Per-request dependencies: one session (one transaction, committed by the handler) and the
caller's identity (service.api.auth); the process's resources, the read path among them."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import timedelta

from litestar.datastructures import State
from litestar.di import NamedDependency
from redis import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.auth.service import Principal
from service.blobstore import BlobStore
from service.config import Settings
from service.db.reader import Reader
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
    reader: Reader  # the ORM-free pool for hot reads (service.db.reader)

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


def team_scope(principal: Principal) -> str | None:
    """Admin keys see every team; any other key sees its own team only."""
    return None if principal.is_admin else principal.team
