"""Per-request dependencies: one session (one transaction, committed here, at the edge, once the
handler has returned), what to do after that commit, and the caller's identity
(service.api.auth); the process's resources, the read path among them."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from litestar.datastructures import State
from litestar.di import NamedDependency
from redis import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.auth.service import Principal
from service.blobstore import BlobStore
from service.config import Settings
from service.datasets.validation import Validation
from service.db.reader import Reader
from service.providers.registry import Catalogue
from service.queue import WakeUps

log = logging.getLogger(__name__)


@dataclass
class AfterCommit:
    """What a request does once its transaction has committed (enqueue a wake-up, delete a
    deleted dataset's bytes), and what undoes its side effects if the transaction rolls back
    (the bytes of a dataset that was never recorded). Buffered per request; `provide_session`
    runs one list or the other."""

    _then: list[Callable[[], object]] = field(default_factory=list)
    _undo: list[Callable[[], object]] = field(default_factory=list)

    def then(self, action: Callable[..., object], *args: object) -> None:
        self._then.append(lambda: action(*args))

    def undo(self, action: Callable[..., object], *args: object) -> None:
        self._undo.append(lambda: action(*args))

    async def committed(self) -> None:
        await _run_all(self._then, "after the commit")

    async def rolled_back(self) -> None:
        await _run_all(self._undo, "after a rollback")


async def _run_all(actions: list[Callable[[], object]], when: str) -> None:
    """Each action once; one failing does not stop the others nor fail the request (the row
    already says what must happen, and the scheduler re-drives it)."""
    pending, actions[:] = list(actions), []
    for action in pending:
        try:
            result = action()
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.warning("an action %s failed", when, exc_info=True)


# Handlers name what they need; Litestar injects it by parameter name.
Session = NamedDependency[AsyncSession]
Caller = NamedDependency[Principal]
Then = NamedDependency[AfterCommit]


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    wakeups: WakeUps
    blobs: BlobStore
    reader: Reader  # the ORM-free pool for hot reads (service.db.reader)
    catalogue: Catalogue  # the providers as this deployment has them
    validation: Validation  # the uploads' shared validator pool and the gate in front of it
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def today(self) -> date:
        """The day providers' end dates are judged on (tests set the clock, not the calendar)."""
        return self.clock().astimezone(UTC).date()

    @property
    def settings_lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lease_seconds)


def resources(state: State) -> Resources:
    found: Resources = state.resources
    return found


def provide_after_commit() -> AfterCommit:
    return AfterCommit()


async def provide_session(state: State, after_commit: Then) -> AsyncGenerator[AsyncSession, None]:
    """The request's one transaction, committed here once the handler has returned (and before
    the response is sent, so a client never reads before its own write); `after_commit` runs
    then, and only then. A failed handler or commit rolls back and undoes instead."""
    async with resources(state).sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            await after_commit.rolled_back()
            raise
    await after_commit.committed()


def team_scope(principal: Principal) -> str | None:
    """Admin keys see every team; any other key sees its own team only."""
    return None if principal.is_admin else principal.team
