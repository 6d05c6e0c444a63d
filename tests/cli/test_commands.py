"""How other packages add commands to `ftjobs`: the `ftjobs.commands` entry points, each
added under its entry point's name; anything that is not a click command is refused."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint

import click
import pytest
from click.testing import CliRunner

import service.cli
from service.cli import COMMANDS_ENTRY_POINTS, add_registered_commands


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
