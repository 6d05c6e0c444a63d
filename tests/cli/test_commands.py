"""How other packages add commands to `ftjobs`: the `ftjobs.commands` entry points, each
added under its entry point's name; anything that is not a click command is refused."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint
from typing import Any

import click
import pytest
import uvicorn
from click.testing import CliRunner

import service.cli
from service.cli import COMMANDS_ENTRY_POINTS, add_registered_commands
from service.config import get_settings


@click.command()
def hello() -> None:
    """Say hello."""
    click.echo("hello from a plug-in")


def registry(*values: tuple[str, str]) -> Callable[..., list[EntryPoint]]:
    points = [EntryPoint(name, value, COMMANDS_ENTRY_POINTS) for name, value in values]

    def entry_points(*, group: str) -> list[EntryPoint]:
        return points if group == COMMANDS_ENTRY_POINTS else []

    return entry_points


def test_a_registered_command_joins_the_group_under_its_entry_point_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service.cli, "entry_points", registry(("greet", f"{__name__}:hello")))
    group = click.Group("ftjobs")
    add_registered_commands(group)
    assert group.commands == {"greet": hello}
    result = CliRunner().invoke(group, ["greet"])
    assert (result.exit_code, result.output) == (0, "hello from a plug-in\n")


def test_an_entry_point_that_is_not_a_command_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service.cli, "entry_points", registry(("cwd", "os:getcwd")))
    with pytest.raises(TypeError, match=r"os:getcwd \(cwd\) is not a click command"):
        add_registered_commands(click.Group("ftjobs"))


def test_ftjobs_api_trusts_the_forwarded_for_of_the_proxies_it_is_told_of(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Behind an ingress the client's address (the console's sign-in limit counts by it) comes
    from X-Forwarded-For, trusted only from FTJOBS_FORWARDED_ALLOW_IPS."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options, app=app))
    monkeypatch.setenv("FTJOBS_FORWARDED_ALLOW_IPS", "10.0.0.0/8")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(service.cli.main, ["api", "--port", "8123"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert seen["app"] == "service.server:app" and seen["port"] == 8123
    assert (seen["proxy_headers"], seen["forwarded_allow_ips"]) == (True, "10.0.0.0/8")
