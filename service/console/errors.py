"""Errors on console pages: an HTML page with the same status and the same words as the API's
problem+json (what is wrong and where), or the problem itself for a client that asks for JSON
(the live page's fetches). No session: the sign-in form, then back."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Template

from service.api.problems import http_error, service_error, unexpected_error
from service.console.auth import SignInRequiredError
from service.errors import ServiceError

LOGIN = "/console/login"


def wants_html(request: Request[Any, Any, Any]) -> bool:
    return "text/html" in request.headers.get("accept", "")


def sign_in_first(request: Request[Any, Any, Any], _: SignInRequiredError) -> Response[Any]:
    if not wants_html(request) or request.method != "GET":
        return http_error(
            request, HTTPException(status_code=401, detail="sign in at /console/login")
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"{LOGIN}?{urlencode({'next': target})}", status_code=303)


def page_for_service_error(request: Request[Any, Any, Any], exc: ServiceError) -> Response[Any]:
    return _as_page(request, service_error(request, exc))


def page_for_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return _as_page(request, http_error(request, exc))


def page_for_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return _as_page(request, unexpected_error(request, exc))  # logs it


def _as_page(request: Request[Any, Any, Any], problem: Response[Any]) -> Response[Any]:
    """The problem as a page, for browsers; as it is, for anyone else."""
    if not wants_html(request):
        return problem
    body = problem.content if isinstance(problem.content, dict) else json.loads(problem.content)
    return Template(
        template_name="error.html",
        context={"problem": body, "signed_in": False},
        status_code=problem.status_code or 500,
        headers=dict(problem.headers),
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    SignInRequiredError: sign_in_first,
    ServiceError: page_for_service_error,
    HTTPException: page_for_http_error,
    Exception: page_for_unexpected,
}
