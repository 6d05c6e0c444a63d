"""Every error leaves as RFC 9457 problem+json; one place renders them all."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, get_args

import asyncpg
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy.exc import DBAPIError

from service.errors import FieldError, ServiceError

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    503: "Service unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [_field_error(error) for error in errors]
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_error(error: FieldError) -> dict[str, Any]:
    item: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.line is not None:
        item["line"] = error.line
    if error.path is not None:
        item["path"] = error.path
    return item


def service_error(_: Request[Any, Any, Any], exc: ServiceError) -> Response[dict[str, Any]]:
    return problem(
        exc.status,
        exc.detail,
        title=exc.title,
        errors=exc.errors,
        headers=exc.headers or None,
        **exc.extra,
    )


def validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Litestar's own request checks (malformed JSON, wrong types, unknown fields)."""
    errors = [
        _litestar_field_error(request, item) for item in exc.extra or [] if isinstance(item, dict)
    ]
    # Litestar's detail repeats the URL; the errors say what is wrong, and where.
    detail = "; ".join(error.message for error in errors if error.code != "invalid_body")
    return problem(400, detail or str(exc.detail), errors=errors)


def _litestar_field_error(request: Request[Any, Any, Any], item: dict[str, Any]) -> FieldError:
    key = item.get("key")
    path = None
    if key:
        path = "/" + str(key).replace("$.", "").replace(".", "/").lstrip("/")
    message = str(item.get("message", "invalid value"))
    # ParamType is a str enum; its str() is "ParamType.QUERY", its value "query".
    source = str(getattr(item.get("source"), "value", item.get("source") or "body"))
    if source == "body" or not key:
        return FieldError(f"invalid_{source}", message, path=path)
    message = f"{source} parameter {key!r}: {message}"
    expected = _EXPECTED.get(_parameter_type(request, str(key)))
    if expected is not None:
        message += f"; expected {expected}"
    return FieldError(f"invalid_{source}_parameter", message, path=path)


_EXPECTED: dict[Any, str] = {
    datetime: "an RFC 3339 date-time such as 2025-01-31T09:30:00Z",
    int: "an integer",
    float: "a number",
    bool: "true or false",
}


def _parameter_type(request: Request[Any, Any, Any], name: str) -> Any:
    """The declared type of a handler's parameter, `X | None` read as X."""
    field = request.route_handler.parsed_fn_signature.parameters.get(name)
    if field is None:
        return None
    kinds = [arg for arg in get_args(field.annotation) if arg is not type(None)]
    return kinds[0] if len(kinds) == 1 else field.annotation


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    headers = dict(exc.headers or {})
    return problem(exc.status_code, str(exc.detail), headers=headers or None)


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if _database_unreachable(exc):
        log.warning("PostgreSQL unreachable on %s %s: %s", request.method, request.url.path, exc)
        return problem(
            HTTP_503_SERVICE_UNAVAILABLE,
            "the database is unreachable for a moment; retry shortly",
            headers={"Retry-After": "2"},
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "internal error; it has been logged")


def _database_unreachable(exc: BaseException) -> bool:
    """A lost or refused connection (Postgres restarting, failing over), on either path: the
    read path raises asyncpg's and the OS's errors, the ORM wraps them in its own."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig.__cause__ or exc.orig
    return isinstance(
        exc,
        OSError
        | asyncpg.PostgresConnectionError
        | asyncpg.ConnectionDoesNotExistError
        | asyncpg.CannotConnectNowError,
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ServiceError: service_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
