"""The error envelope: `{"error": {"message", "type", "param", "code"}}` with the right status.

OpenAI's, which Azure's copy of its API and Together's API share. The app renders every error in
it, Litestar's own (unknown route, oversized body) included, worded as OpenAI words them. A
provider whose gateway answers some errors in another body subclasses `APIError` and overrides
`body()` (Azure's key check and rate limits: `azure/errors.py`); the same handler renders it.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

log = logging.getLogger(__name__)


class APIError(Exception):
    """An error response in the envelope; raise it anywhere below a route handler."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> APIError:
    return APIError(400, message, param=param, code=code)


def missing_parameter(name: str) -> APIError:
    return bad_request(
        f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
    )


def not_found(message: str, *, param: str | None = "id") -> APIError:
    return APIError(404, message, param=param)


def too_large(limit: int, *, param: str = "file") -> APIError:
    return APIError(
        413,
        f"File is too large. The maximum allowed size is {limit} bytes.",
        param=param,
        code="file_too_large",
    )


def handle_api_error(_: Request[Any, Any, Any], exc: APIError) -> Response[Any]:
    return Response(content=exc.body(), status_code=exc.status, headers=exc.headers)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own errors (unknown route, oversized body, bad query type) in OpenAI's shape."""
    status = exc.status_code
    if status in (404, 405):
        message = f"Invalid URL ({request.method} {request.url.path})"
    elif status == 413:
        message = "Request entity too large."
    else:
        message = exc.detail or "Invalid request."
    error = APIError(
        status, message, type_="invalid_request_error" if status < 500 else "server_error"
    )
    return handle_api_error(request, error)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception(
        "emulator bug while serving %s %s", request.method, request.url.path, exc_info=exc
    )
    error = APIError(
        500,
        "The server had an error while processing your request. Sorry about that!",
        type_="server_error",
    )
    return handle_api_error(request, error)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    APIError: handle_api_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
