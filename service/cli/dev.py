"""`ftjobs dev`: the whole service on one machine, for a first run.

Starts what is missing (embedded Postgres and Redis, the provider emulators), migrates, and runs
the API, a worker and the scheduler as child processes of this one. Ctrl-C stops everything.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import click

from service.cli.embedded import start_postgres, start_redis
from service.cli.keys import create_key, write_dev_database_url
from service.config import DEV_EMULATOR_RUN_SECONDS, Settings
from service.db.migrate import upgrade
from service.logs import configure, format_for

EMULATOR_KEY = "sk-ftjobs-emulator"
# A developer's webhook receiver runs on their own machine: loopback is allowed unless the
# developer set the allow-list themselves (even to nothing).
WEBHOOK_NETWORKS = "FTJOBS_WEBHOOK_ALLOWED_NETWORKS"
LOOPBACK_NETWORKS = "127.0.0.0/8,::1/128"


# Each of these stops everything `ftjobs dev` started: Ctrl-C, a supervisor or `timeout`, and
# the terminal closing.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def run_dev(settings: Settings, *, host: str, port: int) -> None:
    install_stop_handlers()
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        env = dict(os.environ, FTJOBS_DATA_DIR=str(data_dir))
        env["FTJOBS_LOG_FORMAT"] = format_for(
            os.environ.get("FTJOBS_LOG_FORMAT"), terminal=sys.stderr.isatty()
        )
        configure(settings.log_level, env["FTJOBS_LOG_FORMAT"])  # dev's own lines alike
        env |= _backing_services(settings, data_dir, stack)
        env["FTJOBS_METRICS_TOKEN"] = _metrics_token(settings, data_dir)
        # The console's cookies are Secure by default; `ftjobs dev` serves plain http.
        env.setdefault("FTJOBS_CONSOLE_SECURE_COOKIE", "false")
        env |= webhook_networks(env)
        upgrade(env["FTJOBS_DATABASE_URL"])
        url_file = write_dev_database_url(data_dir, env["FTJOBS_DATABASE_URL"])
        stack.callback(url_file.unlink, missing_ok=True)
        children: list[subprocess.Popen[bytes]] = []
        stack.callback(_stop_all, children)
        azure = together = None
        pace = ""
        if (
            not settings.openai_key()
            or not settings.azure_openai_endpoint
            or not settings.together_key()
        ):
            # Every provider without settings of its own is pointed at the emulator, so that a
            # newcomer can run a job on each.
            env |= _start_emulator(children, env, settings, host, port + 1)
            pace = _pace_line(env)
            if not settings.azure_openai_endpoint:
                azure = _azure_line(settings, host, port + 1)
            if not settings.together_key():
                together = _together_line(settings, host, port + 1)
        for command in (["api", "--host", host, "--port", str(port)], ["worker"], ["scheduler"]):
            children.append(_spawn(command, env))
        key = _dev_key(env["FTJOBS_DATABASE_URL"], data_dir)
        _announce(host, port, key, env, (azure, together), pace)
        _wait(children)


def install_stop_handlers() -> None:
    """Handle STOP_SIGNALS whatever this process inherited: `nohup` ignores SIGHUP, a background
    job of a non-interactive shell has SIGINT ignored, and a parent may have blocked them.

    Left at their defaults, SIGHUP would kill this process without cleanup (leaving the
    daemonized Postgres and Redis behind) and an ignored SIGINT could not stop it at all."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _interrupt)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _interrupt(signum: int, frame: object) -> None:
    # Once: a second signal (Ctrl-C pressed twice, the terminal's SIGHUP after a SIGINT) must not
    # interrupt the clean-up it started, which has deadlines of its own.
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise KeyboardInterrupt


def _backing_services(settings: Settings, data_dir: Path, stack: ExitStack) -> dict[str, str]:
    env = {}
    if settings.database_url:
        env["FTJOBS_DATABASE_URL"] = settings.database_url
    else:
        postgres = start_postgres(data_dir / "postgres")
        stack.callback(postgres.stop)
        env["FTJOBS_DATABASE_URL"] = postgres.url()
    if settings.redis_url:
        env["FTJOBS_REDIS_URL"] = settings.redis_url
    else:
        redis = start_redis(data_dir / "redis")
        stack.callback(redis.stop)
        env["FTJOBS_REDIS_URL"] = redis.url
    return env


def _start_emulator(
    children: list[subprocess.Popen[bytes]],
    env: dict[str, str],
    settings: Settings,
    host: str,
    port: int,
) -> dict[str, str]:
    # Its state lives in the data directory like the database's: the datasets there refer to the
    # emulator's file ids, which a restart must not forget.
    state_dir = str(Path(env["FTJOBS_DATA_DIR"]) / "emulator")
    command = ["emulator", "--host", host, "--port", str(port), "--state-dir", state_dir]
    children.append(_spawn(command, emulator_env(env)))
    emulated: dict[str, str] = {}
    if not settings.openai_key():
        emulated |= {
            "FTJOBS_OPENAI_BASE_URL": f"http://{host}:{port}/v1",
            "FTJOBS_OPENAI_API_KEY": EMULATOR_KEY,
        }
    if not settings.azure_openai_endpoint:
        emulated |= {
            "FTJOBS_AZURE_OPENAI_ENDPOINT": f"http://{host}:{port}",
            "FTJOBS_AZURE_OPENAI_API_KEY": settings.emulator_azure_api_key.get_secret_value(),
        }
    if not settings.together_key():
        emulated |= {
            # The SDK adds /v1/… to its base URL: the emulator answers under /together/v1.
            "FTJOBS_TOGETHER_BASE_URL": together_emulator_url(host, port),
            "FTJOBS_TOGETHER_API_KEY": settings.emulator_together_api_key.get_secret_value(),
        }
    return emulated


def together_emulator_url(host: str, port: int) -> str:
    return f"http://{host}:{port}/together"


def emulator_env(env: dict[str, str]) -> dict[str, str]:
    """The emulator's environment: unless told otherwise, its jobs stay running long enough for
    a person to try pause and resume (at 3 s they are done before the command is typed)."""
    if env.get("FTJOBS_EMULATOR_RUN_SECONDS"):
        return env
    return env | {"FTJOBS_EMULATOR_RUN_SECONDS": f"{DEV_EMULATOR_RUN_SECONDS:g}"}


def webhook_networks(env: dict[str, str]) -> dict[str, str]:
    """Loopback for webhooks, unless the environment names the allowed networks already."""
    return {} if WEBHOOK_NETWORKS in env else {WEBHOOK_NETWORKS: LOOPBACK_NETWORKS}


def _azure_line(settings: Settings, host: str, port: int) -> str:
    """Where the emulator's Azure OpenAI resource answers, for the announcement."""
    key = settings.emulator_azure_api_key.get_secret_value()
    return f"http://{host}:{port}/openai/v1/  (api-key: {key})"


def _together_line(settings: Settings, host: str, port: int) -> str:
    """Where the emulator's Together AI answers, for the announcement."""
    key = settings.emulator_together_api_key.get_secret_value()
    return f"{together_emulator_url(host, port)}/v1/  (key: {key})"


def _spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # The children start with default dispositions for STOP_SIGNALS, not an ignored SIGINT or
    # SIGHUP we inherited: exec resets handled signals, and `install_stop_handlers` ran first.
    return subprocess.Popen([sys.executable, "-m", "service", *command], env=env)


def _dev_key(database_url: str, data_dir: Path) -> str:
    """One admin key per data directory, kept in a 0600 file so a restart prints the same."""
    path = data_dir / "dev-api-key"
    if path.exists():
        return path.read_text().strip()
    _, plaintext = asyncio.run(create_key(database_url, "dev", True, "ftjobs dev"))
    _keep(path, plaintext)
    return plaintext


def _metrics_token(settings: Settings, data_dir: Path) -> str:
    """The operator's FTJOBS_METRICS_TOKEN, else one per data directory (a 0600 file): without
    a token /metrics answers 404, and a local Prometheus needs the same one after a restart."""
    configured = settings.metrics_scrape_token()
    if configured is not None:
        return configured
    path = data_dir / "dev-metrics-token"
    if path.exists():
        return path.read_text().strip()
    token = secrets.token_urlsafe(32)
    _keep(path, token)
    return token


def _keep(path: Path, secret: str) -> None:
    path.touch(mode=0o600)
    path.write_text(secret + "\n")


def _announce(
    host: str,
    port: int,
    key: str,
    env: dict[str, str],
    emulated: tuple[str | None, str | None],
    pace: str,
) -> None:
    base = f"http://{host}:{port}"
    openai = env.get("FTJOBS_OPENAI_BASE_URL", "OpenAI")
    azure, together = emulated
    emulated_azure = f"  Azure OpenAI (emulated): {azure}\n" if azure else ""
    emulated_azure += f"  Together AI (emulated): {together}\n" if together else ""
    database = env["FTJOBS_DATABASE_URL"]
    click.echo(
        f"\nfinetune-jobs is starting at {base}  (OpenAPI: {base}/schema/swagger)\n"
        f"  console: {base}/console  (sign in with the key below)\n"
        f"  API key (team 'dev', admin): {key}\n"
        f"  OpenAI: {openai}\n"
        f"{emulated_azure}"
        f"{pace}"
        f"  try:  curl -H 'Authorization: Bearer {key}' {base}/v1/jobs\n"
        f"  webhooks may go to: {env[WEBHOOK_NETWORKS] or 'public addresses only'} "
        f"({WEBHOOK_NETWORKS})\n"
        f"  metrics (Prometheus):  curl -H 'Authorization: Bearer "
        f"{env['FTJOBS_METRICS_TOKEN']}' {base}/metrics\n"
        "  a key for another team (from this directory, or with FTJOBS_DATA_DIR set alike):\n"
        "        ftjobs keys create --team other\n"
        f"    or FTJOBS_DATABASE_URL='{database}' ftjobs keys create --team other\n"
        "Ctrl-C stops everything.\n",
        err=True,
    )


def _pace_line(env: dict[str, str]) -> str:
    phase = env.get("FTJOBS_EMULATOR_PHASE_SECONDS", "3")
    running = emulator_env(env)["FTJOBS_EMULATOR_RUN_SECONDS"]
    return (
        f"  emulated jobs: {phase} s validating, {phase} s queued, {running} s running (time "
        "to try POST /v1/jobs/{id}/pause; FTJOBS_EMULATOR_RUN_SECONDS changes it)\n"
    )


def _wait(children: list[subprocess.Popen[bytes]]) -> None:
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        failed = [child.args for child in children if child.poll() is not None]
        click.echo(f"a process exited: {failed}; stopping the rest", err=True)
    except KeyboardInterrupt:
        click.echo("stopping…", err=True)


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
