"""/console/login and /console/logout: a pasted API key becomes a session cookie."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from service.api.deps import resources
from service.api.ratelimit import RateLimiter
from service.auth.service import authenticate
from service.console import csrf
from service.console.auth import Viewing, session_store
from service.console.sessions import COOKIE, COOKIE_PATH, LOGIN_CSRF_COOKIE

HOME = "/console/jobs"
_CSRF_REFUSED = "the form's CSRF token is missing or stale: reload the page and send it again"


@dataclass
class LoginForm:
    key: str = ""
    _csrf_token: str = ""
    next: str = ""


@dataclass
class LogoutForm:
    _csrf_token: str = ""


FormBody = Body(media_type=RequestEncodingType.URL_ENCODED)


class SignInController(Controller):
    path = "/console"
    include_in_schema = False

    @get("/login")
    async def login_form(
        self, request: Request[Any, Any, State], next: FromQuery[str | None] = None
    ) -> Response[Any]:
        if await session_store(request.app.state).load(request.cookies.get(COOKIE)):
            return Redirect(safe_next(next), status_code=303)
        return login_page(request, next=safe_next(next))

    @post("/login", status_code=303)
    async def login(
        self,
        request: Request[Any, Any, State],
        data: Annotated[LoginForm, FormBody],
    ) -> Response[Any]:
        if not csrf.tokens_match(data._csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
            raise PermissionDeniedException(_CSRF_REFUSED)
        state = request.app.state
        limited = await _too_many_attempts(request)
        if limited is not None:
            return limited
        principal = await authenticate(resources(state).reader, data.key.strip())
        if principal is None:
            return login_page(
                request,
                next=safe_next(data.next),
                error="That key is unknown or has been revoked.",
                status_code=401,
            )
        session = await session_store(state).create(principal.key_id)
        response = Redirect(safe_next(data.next), status_code=303)
        set_cookie(request, response, COOKIE, session.id, max_age=session_store(state).ttl_seconds)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path=COOKIE_PATH)
        return response

    @post("/logout", status_code=303)
    async def logout(
        self,
        request: Request[Any, Any, State],
        viewer: Viewing,
        data: Annotated[LogoutForm, FormBody],
    ) -> Response[Any]:
        if not csrf.tokens_match(data._csrf_token, viewer.session.csrf):
            raise PermissionDeniedException(_CSRF_REFUSED)
        await session_store(request.app.state).delete(viewer.session.id)
        response = Redirect("/console/login", status_code=303)
        response.delete_cookie(COOKIE, path=COOKIE_PATH)
        return response


async def _too_many_attempts(request: Request[Any, Any, State]) -> Response[Any] | None:
    """The form again with 429 and Retry-After when this address spent its attempts. The address
    is the connection's: behind a proxy that is the proxy's, which then shares one budget."""
    limiter: RateLimiter = request.app.state.console_signins
    address = request.client.host if request.client is not None else "unknown"
    verdict = await limiter.check(f"console-signin:{address}")
    if verdict.allowed:
        return None
    wait = verdict.retry_after_seconds
    response = login_page(
        request,
        next=HOME,
        error=f"Too many sign-in attempts from this address: try again in {wait} s.",
        status_code=429,
    )
    response.headers["Retry-After"] = str(wait)
    return response


def login_page(
    request: Request[Any, Any, State],
    *,
    next: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response[Any]:
    """The form, with the CSRF token it must send back (also set as its cookie)."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or csrf.new_token()
    response = Template(
        template_name="login.html",
        context={"signed_in": False, "csrf_token": token, "next": next, "error": error},
        status_code=status_code,
    )
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600, samesite="strict")
    return response


def set_cookie(
    request: Request[Any, Any, State],
    response: Response[Any],
    name: str,
    value: str,
    *,
    max_age: int,
    samesite: Literal["lax", "strict"] = "lax",
) -> None:
    """HttpOnly (no script reads it), SameSite, /console only, and Secure unless the operator
    turned it off for plain http (`ftjobs dev`). Lax for the session: a link from a chat
    message opens the page signed in, while a cross-site form post still comes without it."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        secure=resources(request.app.state).settings.console_secure_cookie,
        samesite=samesite,
    )


def safe_next(target: str | None) -> str:
    """Only a console page of this site: never an open redirect elsewhere."""
    if not target or not target.startswith("/console/") or target.startswith("//"):
        return HOME
    if "\\" in target or any(ord(c) < 0x20 for c in target):
        return HOME
    return target
