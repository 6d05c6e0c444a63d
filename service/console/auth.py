"""Who is looking: the `viewer` dependency of every console page.

The session's key is looked up by id on the API's read path on every page (a revoked key is
signed out at once), then the key's rate limit is spent as for an API call: the console sees
exactly what that key sees, at the pace the key is allowed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from service.api.deps import resources
from service.api.ratelimit import RateLimiter
from service.auth.service import Principal, principal_of_key
from service.console.sessions import COOKIE, ConsoleSession, SessionStore
from service.logs import bind


class SignInRequiredError(Exception):
    """No live session: pages send the browser to the sign-in form."""


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    session: ConsoleSession

    @property
    def team_scope(self) -> str | None:
        """As the API's: admin keys see every team."""
        return None if self.principal.is_admin else self.principal.team


def session_store(state: State) -> SessionStore:
    store: SessionStore = state.console_sessions
    return store


async def provide_viewer(request: Request[Any, Any, State]) -> Viewer:
    state = request.app.state
    store = session_store(state)
    session = await store.load(request.cookies.get(COOKIE))
    if session is None:
        raise SignInRequiredError
    principal = await principal_of_key(resources(state).reader, session.key_id)
    if principal is None:  # revoked since sign-in
        await store.delete(session.id)
        raise SignInRequiredError
    bind(team=principal.team)
    limiter: RateLimiter = state.rate_limiter
    await limiter.enforce(principal.key_id)
    return Viewer(principal, session)


# Handlers name it `viewer`; Litestar injects it by parameter name.
Viewing = NamedDependency[Viewer]
