"""`ftjobs`: every process of the service, and its offline tools.

The group and the process commands (api, migrate, emulator, keys, dev) are here; the work behind
them is beside it: `datasets` (validate and convert, with their click commands), `keys` (the
database side of `ftjobs keys`), `dev` (`ftjobs dev`) and `embedded` (the PostgreSQL and Redis
servers that `ftjobs dev` and the tests start from wheels). `ftjobs worker` and `ftjobs
scheduler` are defined by the `workers` package and registered under the `ftjobs.commands`
entry points (see `add_registered_commands`).

Commands import what they run inside their body (SQLAlchemy, alembic, the emulator's app), so
that `ftjobs validate` or `ftjobs --help` does not pay for what it does not use.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from importlib.metadata import entry_points

import click
import uvicorn

from service.cli.datasets import convert_command, validate_command
from service.config import Settings, get_settings
from service.emulators.config import EmulatorConfig
from service.logs import configure, dict_config


@click.group()
def main() -> None:
    """finetune-jobs: fine-tune models on preference data."""
    settings = get_settings()
    configure(settings.log_level, settings.log_format)


@main.command()
@click.option("--host", default="0.0.0.0", show_default=True)  # noqa: S104 (a server's job)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=1, show_default=True, help="uvicorn worker processes")
def api(host: str, port: int, workers: int) -> None:
    """Serve the HTTP API."""
    settings = get_settings()
    uvicorn.run(
        "service.server:app",
        log_config=dict_config(settings.log_level, settings.log_format),
        host=host,
        port=port,
        workers=workers,
        log_level=get_settings().log_level.lower(),
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


@main.command()
def migrate() -> None:
    """Apply the database migrations (alembic upgrade head)."""
    from service.db.migrate import upgrade

    upgrade(_database_url(get_settings()))
    click.echo("database is at the latest migration")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True)
@click.option(
    "--azure-api-key",
    default=None,
    help="the api-key Azure's routes accept [default: FTJOBS_EMULATOR_AZURE_API_KEY, "
    "else azure-emulator-key]",
)
@click.option(
    "--together-api-key",
    default=None,
    help="the bearer key Together's routes accept [default: FTJOBS_EMULATOR_TOGETHER_API_KEY, "
    "else together-emulator-key]",
)
@click.option(
    "--state-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="keep files and jobs here across restarts [default: FTJOBS_EMULATOR_STATE_DIR, else "
    "in memory only]",
)
def emulator(
    host: str,
    port: int,
    azure_api_key: str | None,
    together_api_key: str | None,
    state_dir: str | None,
) -> None:
    """Serve the local provider emulators: OpenAI at /v1, Azure OpenAI at /openai/v1, Together AI
    at /together/v1 (files + fine-tuning jobs)."""
    from service.emulators.app import create_app

    config = emulator_config(get_settings())
    if azure_api_key is not None:
        config = replace(config, azure_api_key=azure_api_key)
    if together_api_key is not None:
        config = replace(config, together_api_key=together_api_key)
    if state_dir is not None:
        config = replace(config, state_dir=state_dir)
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")


def emulator_config(settings: Settings) -> EmulatorConfig:
    secret = settings.emulator_webhook_secret
    return EmulatorConfig(
        phase_seconds=settings.emulator_phase_seconds,
        run_seconds=settings.emulator_run_seconds,
        org=settings.emulator_org,
        fault_rate=settings.emulator_fault_rate,
        faults=tuple(f.strip() for f in settings.emulator_faults.split(",") if f.strip()),
        training_not_available=settings.emulator_training_not_available,
        webhook_urls=tuple(u.strip() for u in settings.emulator_webhook_urls.split(",") if u),
        webhook_secret=secret.get_secret_value() if secret else None,
        azure_api_key=settings.emulator_azure_api_key.get_secret_value(),
        together_api_key=settings.emulator_together_api_key.get_secret_value(),
        state_dir=str(settings.emulator_state_dir) if settings.emulator_state_dir else None,
    )


@main.group()
def keys() -> None:
    """API keys: one team per key; admin keys see every team."""


@keys.command("create")
@click.option("--team", required=True)
@click.option("--admin", is_flag=True, help="may read every team (ops dashboards)")
@click.option("--name", default=None, help="what the key is for")
def keys_create(team: str, admin: bool, name: str | None) -> None:
    """Create a key and print it once; only its hash is stored."""
    from service.cli.keys import create_key

    key_id, plaintext = asyncio.run(
        create_key(keys_database_url(get_settings()), team, admin, name)
    )
    click.echo(
        f"# {key_id} for team {team}{' (admin)' if admin else ''}; shown only now:", err=True
    )
    click.echo(plaintext)


@keys.command("list")
def keys_list() -> None:
    """List keys (never the keys themselves)."""
    from service.cli.keys import list_keys

    for line in asyncio.run(list_keys(keys_database_url(get_settings()))):
        click.echo(line)


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by id; it stops working at once."""
    from service.cli.keys import revoke_key

    if not asyncio.run(revoke_key(keys_database_url(get_settings()), key_id)):
        raise click.ClickException(f"no active key {key_id}")
    click.echo(f"revoked {key_id}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
def dev(host: str, port: int) -> None:
    """Everything on one machine: embedded Postgres and Redis (unless FTJOBS_DATABASE_URL /
    FTJOBS_REDIS_URL are set), the provider emulators (unless an OpenAI key is set), migrations,
    the API, a worker and the scheduler. Ctrl-C stops all of it."""
    from service.cli.dev import run_dev

    run_dev(get_settings(), host=host, port=port)


main.add_command(validate_command)
main.add_command(convert_command)

# Where other packages add their commands (pyproject's [project.entry-points."ftjobs.commands"]).
COMMANDS_ENTRY_POINTS = "ftjobs.commands"


def add_registered_commands(group: click.Group) -> None:
    """Adds every command registered under `ftjobs.commands`, by its entry point's name.

    This is how `ftjobs worker` and `ftjobs scheduler` join the group: the queue edge
    (`workers`) depends on `service` and plugs its commands in, so nothing under `service`
    imports `workers` (an import-linter contract). The registration is package metadata, written
    by `pip install`: re-install after changing the entry points."""
    for entry_point in entry_points(group=COMMANDS_ENTRY_POINTS):
        command = entry_point.load()
        if not isinstance(command, click.Command):
            raise TypeError(f"{entry_point.value} ({entry_point.name}) is not a click command")
        group.add_command(command, entry_point.name)


add_registered_commands(main)


def keys_database_url(settings: Settings) -> str:
    """FTJOBS_DATABASE_URL, else the database of the `ftjobs dev` running with this data
    directory: a newcomer's `ftjobs keys create` beside `ftjobs dev` just works."""
    from service.cli.keys import DEV_DATABASE_URL_FILE, read_dev_database_url, without_password

    if settings.database_url:
        return settings.database_url
    url = read_dev_database_url(settings.data_dir)
    if url is None:
        raise click.ClickException(
            "FTJOBS_DATABASE_URL is not set, and no `ftjobs dev` is running with data directory "
            f"{settings.data_dir} (it would have written {DEV_DATABASE_URL_FILE} there; set "
            "FTJOBS_DATA_DIR to its data directory)"
        )
    click.echo(
        f"# FTJOBS_DATABASE_URL is not set: using the database of `ftjobs dev` "
        f"({without_password(url)}, from {settings.data_dir / DEV_DATABASE_URL_FILE})",
        err=True,
    )
    return url


def _database_url(settings: Settings) -> str:
    if not settings.database_url:
        raise click.ClickException("FTJOBS_DATABASE_URL is not set")
    return settings.database_url
