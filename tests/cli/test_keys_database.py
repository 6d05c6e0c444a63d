"""`ftjobs keys …` beside a running `ftjobs dev`: with FTJOBS_DATABASE_URL unset they use the
database URL that dev wrote in its data directory (0600), and say so; with neither, the error
says where they looked."""

from __future__ import annotations

import stat
from pathlib import Path

import click
import pytest

from service.cli import keys_database_url
from service.cli.keys import read_dev_database_url, without_password, write_dev_database_url
from service.config import Settings

URL = "postgresql://postgres:hunter22@localhost:54329/ftjobs"


def test_the_url_dev_wrote_is_used_when_the_setting_is_unset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_dev_database_url(tmp_path, URL)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = Settings(database_url=None, data_dir=tmp_path)
    assert keys_database_url(settings) == URL
    said = capsys.readouterr().err
    assert "using the database of `ftjobs dev`" in said
    assert str(path) in said
    assert "hunter22" not in said


def test_the_setting_wins_over_the_file(tmp_path: Path) -> None:
    write_dev_database_url(tmp_path, URL)
    settings = Settings(database_url="postgresql://elsewhere/db", data_dir=tmp_path)
    assert keys_database_url(settings) == "postgresql://elsewhere/db"


def test_without_either_the_error_names_the_data_directory(tmp_path: Path) -> None:
    with pytest.raises(click.ClickException, match="no `ftjobs dev` is running") as error:
        keys_database_url(Settings(database_url=None, data_dir=tmp_path))
    assert str(tmp_path) in error.value.message
    assert read_dev_database_url(tmp_path) is None


def test_a_password_is_never_shown() -> None:
    assert without_password(URL) == "postgresql://postgres:***@localhost:54329/ftjobs"
    assert without_password("postgresql://postgres@h:1/d") == "postgresql://postgres@h:1/d"
