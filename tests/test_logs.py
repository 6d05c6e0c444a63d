"""Structured logs: one JSON object per line, request/job/team context, no secret ever."""

from __future__ import annotations

import json
import logging
import logging.config
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar, Request, get
from litestar.middleware import DefineMiddleware
from litestar.testing import TestClient

from service.api.metrics import HttpMetrics
from service.api.middleware import RequestContextMiddleware
from service.logs import (
    REDACTED,
    StderrHandler,
    bind,
    format_for,
    log_context,
    redact,
    register_secret,
)

API_KEY = "ftk_" + "Zx9" * 14
OPENAI_KEY = "sk-proj-" + "Q7w" * 16
WEBHOOK_SECRET = "whsec_" + "c2VjcmV0" * 5


@pytest.fixture
def captured(capsys: pytest.CaptureFixture[str]) -> Iterator[list[dict[str, Any]]]:
    """Lines our handler writes, parsed; the test fails if any line is not JSON."""
    handler = StderrHandler("json")
    logger = logging.getLogger("ftjobs-test")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    lines: list[dict[str, Any]] = []
    yield lines
    logger.removeHandler(handler)


def read(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    err = capsys.readouterr().err
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_every_line_is_json_with_context(
    captured: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    log = logging.getLogger("ftjobs-test")
    with log_context(job_id="job_1", team="team-a", request_id="req-1"):
        log.info("moved to %s", "running", extra={"attempt": 2})
    log.warning("outside")
    inside, outside = read(capsys)
    assert inside["message"] == "moved to running"
    assert (inside["level"], inside["logger"]) == ("INFO", "ftjobs-test")
    assert (inside["job_id"], inside["team"], inside["request_id"]) == ("job_1", "team-a", "req-1")
    assert inside["attempt"] == 2 and inside["timestamp"].endswith("+00:00")
    assert "job_id" not in outside and "team" not in outside


def test_secrets_never_reach_the_output(
    captured: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    register_secret("emulator-key-without-a-prefix")
    log = logging.getLogger("ftjobs-test")
    log.info("headers %s", {"authorization": f"Bearer {API_KEY}", "x": "1"})
    log.info("openai key=%s and %s", OPENAI_KEY, "emulator-key-without-a-prefix")
    log.info("endpoint", extra={"secret": WEBHOOK_SECRET, "payload": {"api_key": "plain"}})
    try:
        raise RuntimeError(f"failed with {API_KEY}")
    except RuntimeError:
        log.exception("boom")
    output = capsys.readouterr().err
    for secret in (API_KEY, OPENAI_KEY, WEBHOOK_SECRET, "emulator-key-without-a-prefix", "plain"):
        assert secret not in output
    assert REDACTED in output and "RuntimeError" in output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Basic dXNlcjpwYXNz", f"Authorization: Basic {REDACTED}"),
        ('{"password": "hunter2"}', f'{{"password": "{REDACTED}"}}'),
        ("max_tokens=5 tokens: 12", "max_tokens=5 tokens: 12"),
        ("risk-assessment done", "risk-assessment done"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def _app(log: logging.Logger) -> Litestar:
    @get("/echo")
    async def echo(request: Request[Any, Any, Any]) -> str:
        bind(team="team-a")
        # A careless log line: every header, the API key included.
        log.info("request headers: %s", dict(request.headers))
        return "ok"

    middleware = DefineMiddleware(RequestContextMiddleware, metrics=HttpMetrics("test"))
    return Litestar([echo], middleware=[middleware], logging_config=None)


def test_a_request_logged_with_its_key_never_shows_the_key(
    captured: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    with TestClient(_app(logging.getLogger("ftjobs-test"))) as client:
        given = client.get("/echo", headers={"Authorization": f"Bearer {API_KEY}"})
        chosen = client.get("/echo", headers={"X-Request-ID": "caller-id-1"})
        hostile = client.get("/echo", headers={"X-Request-ID": "bad id, spaces " * 20})
    first, second, third = (line for line in read(capsys) if line["logger"] == "ftjobs-test")
    assert API_KEY not in json.dumps(first) and REDACTED in first["message"]
    assert first["request_id"] == given.headers["x-request-id"] and len(first["request_id"]) == 32
    assert first["team"] == "team-a"
    assert second["request_id"] == chosen.headers["x-request-id"] == "caller-id-1"
    assert third["request_id"] == hostile.headers["x-request-id"] != "bad id, spaces " * 20


PROCESS = textwrap.dedent(
    """
    import logging, logging.config, sys
    from service import logs
    if sys.argv[1] == "configure":
        logs.configure("INFO", sys.argv[2])
    else:
        logging.config.dictConfig(logs.dict_config("INFO", sys.argv[2]))
    logging.getLogger("uvicorn.access").info('%s - "%s %s" %d', "1.2.3.4", "GET", "/v1", 200)
    logging.getLogger("rq.worker").warning("Authorization: Bearer ftk_abcdefghijklmnop")
    logging.getLogger("httpx").info("quiet")
    """
)


@pytest.mark.parametrize("how", ["configure", "dict_config"])
def test_a_process_writes_only_json_lines(how: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROCESS, how, "json"], capture_output=True, text=True, check=True
    )
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [line["logger"] for line in lines] == ["uvicorn.access", "rq.worker"]
    assert "ftk_abcdefghijklmnop" not in done.stderr


def test_text_format_for_a_terminal() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROCESS, "configure", "text"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "INFO uvicorn.access" in done.stderr and "ftk_abcdefghijklmnop" not in done.stderr


@pytest.mark.parametrize(
    ("configured", "terminal", "expected"),
    [
        (None, True, "text"),  # a person at `ftjobs dev`
        (None, False, "json"),  # redirected to a file or a collector
        ("json", True, "json"),  # an explicit choice wins, even on a terminal
        ("text", False, "text"),
    ],
)
def test_the_format_is_text_on_a_terminal_unless_configured(
    configured: str | None, terminal: bool, expected: str
) -> None:
    assert format_for(configured, terminal=terminal) == expected
