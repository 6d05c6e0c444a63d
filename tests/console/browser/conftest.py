"""Browser tests of the console: one running service for all of them (emulator, API, worker,
scheduler, each its own process, on the suite's PostgreSQL and Redis), a headless Chromium, and
keys of two teams and an admin.

A package of its own: Playwright's sync API keeps an event loop running in the test thread until
its package-scoped fixture ends, and the in-process console tests beside this package call
asyncio.run. One stack for the whole package keeps CI time down; each test works on its own data
(its datasets and jobs are new), so the order of the tests does not matter."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from redis import Redis

from service.cli.keys import create_key
from tests.e2e.client import TERMINAL, ApiClient
from tests.e2e.conftest import stack_env
from tests.support.data import dpo_row, dpo_rows, jsonl
from tests.support.processes import Stack
from tests.support.services import Backing, truncate_all

T = TypeVar("T")
CHROMIUM = os.environ.get("FTJOBS_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent.parent / "screenshots"
# Emulated jobs stay `running` this long: time for a page to be opened on a running job and
# follow it to the end.
RUN_SECONDS = "6"


@dataclass(frozen=True)
class Keys:
    team_a: str
    team_b: str
    admin: str


@pytest.fixture(scope="package")
def console_stack(backing: Backing, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    off_the_loop(truncate_all(backing.database_url))
    Redis.from_url(backing.redis_url).flushdb()
    root = tmp_path_factory.mktemp("console")
    logs = root / "logs"
    logs.mkdir()
    env = stack_env(backing, root) | {"FTJOBS_EMULATOR_RUN_SECONDS": RUN_SECONDS}
    running = Stack(env=env, logs=logs)
    try:
        running.start_emulator()
        running.start_api()
        running.start_workers()
        yield running
    finally:
        running.stop_all()


def off_the_loop(work: Coroutine[Any, Any, T]) -> T:
    """Runs a coroutine to its end from a test: in a thread of its own, since Playwright's sync
    API keeps an event loop running in the test's."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, work).result()


def new_key(backing: Backing, team: str, *, admin: bool = False) -> tuple[str, str]:
    """(key id, key) of a new key of `team`."""
    return off_the_loop(create_key(backing.database_url, team, admin, None))


@pytest.fixture(scope="package")
def keys(console_stack: Stack, backing: Backing) -> Keys:
    return Keys(
        team_a=new_key(backing, "team-a")[1],
        team_b=new_key(backing, "team-b")[1],
        admin=new_key(backing, "ops", admin=True)[1],
    )


@pytest.fixture(scope="package")
def team_a(console_stack: Stack, keys: Keys) -> ApiClient:
    return ApiClient(console_stack, keys.team_a)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's `chromium`")
    launched = playwright.chromium.launch(executable_path=CHROMIUM)
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) sized like a laptop screen."""
    fresh = browser.new_context(viewport={"width": 1366, "height": 900})
    fresh.set_default_timeout(15_000)
    yield fresh
    fresh.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in(page: Page, stack: Stack, key: str) -> None:
    page.goto(f"{stack.api_url}/console/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/jobs**")


@dataclass(frozen=True)
class FinishedJob:
    id: str
    training_dataset_id: str
    validation_dataset_id: str
    experiment: str


def warned_rows() -> list[dict[str, Any]]:
    """A valid DPO file with warnings of several codes to show: repeated rows, a rejected
    output that is the start of the preferred one, a preferred output that repeats the prompt,
    outputs identical but for whitespace."""
    rows = dpo_rows(14)
    rows += [rows[2], rows[5]]
    prefix = dpo_row(40)
    prefix["non_preferred_output"][0]["content"] = "A careful answer"
    echo = dpo_row(41)
    echo["preferred_output"][0]["content"] = "Question number 41?"
    spaces = dpo_row(42)
    spaces["preferred_output"][0]["content"] = "A careful  answer to 42.\n"
    spaces["non_preferred_output"][0]["content"] = "A careful answer to 42."
    return [*rows, prefix, echo, spaces]


@pytest.fixture(scope="package")
def finished_job(team_a: ApiClient) -> FinishedJob:
    """A DPO job with a validation file (so both loss curves exist) that has succeeded."""
    upload = team_a.http.post(
        "/v1/datasets",
        params={"name": "support-replies"},
        content=jsonl(warned_rows()),
        headers={"Content-Type": "application/jsonl"},
    )
    assert upload.status_code == 201, upload.text
    training = upload.json()["id"]
    validation = team_a.upload(jsonl([dpo_row(i) for i in range(100, 112)]))
    experiment = f"exp-{uuid.uuid4().hex[:8]}"
    job = team_a.create_job(
        training_dataset_id=training,
        validation_dataset_id=validation,
        hyperparameters={"beta": 0.1, "n_epochs": 3},
        suffix="support",
        metadata={"experiment": experiment},
    )
    done = team_a.wait_for(job["id"], TERMINAL, timeout=120)
    assert done["status"] == "succeeded", done
    return FinishedJob(job["id"], training, validation, experiment)
