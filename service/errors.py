"""Errors that carry their HTTP status. The API renders them as problem+json in one place;
workers and the CLI read the same fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    code: str
    message: str
    line: int | None = None
    path: str | None = None


@dataclass
class ServiceError(Exception):
    """A failure the caller can act on. `errors` names what is wrong and where."""

    detail: str
    status: int = 400
    title: str = "Bad request"
    type: str = "about:blank"
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # e.g. Retry-After on a 503

    def __str__(self) -> str:
        return self.detail


def not_found(kind: str, ident: str) -> ServiceError:
    # Another team's id answers exactly like a missing one: no existence oracle.
    return ServiceError(f"{kind} {ident!r} not found", status=404, title="Not found")


def conflict(detail: str) -> ServiceError:
    return ServiceError(detail, status=409, title="Conflict")


def invalid(detail: str, errors: list[FieldError] | None = None) -> ServiceError:
    return ServiceError(detail, status=422, title="Invalid input", errors=errors or [])


def pointer(*parts: str | int) -> str:
    """A JSON Pointer (RFC 6901) to the named place."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)
