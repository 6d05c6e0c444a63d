"""One running service for every browser test of the console (emulator, API, worker, scheduler,
each its own process, on the suite's PostgreSQL and Redis), a headless Chromium, and keys of
two teams and an admin.

One stack for the whole package keeps CI time down; each test works on its own data (its
datasets and jobs are new), so the order of the tests does not matter."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from redis import Redis

from service.cli.keys import create_key
from tests.e2e.client import ApiClient
from tests.e2e.conftest import stack_env
from tests.support.processes import Stack
from tests.support.services import Backing, truncate_all

CHROMIUM = os.environ.get("FTJOBS_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
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
    asyncio.run(truncate_all(backing.database_url))
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


@pytest.fixture(scope="package")
def keys(console_stack: Stack, backing: Backing) -> Keys:
    def key(team: str, admin: bool = False) -> str:
        return asyncio.run(create_key(backing.database_url, team, admin, None))[1]

    return Keys(team_a=key("team-a"), team_b=key("team-b"), admin=key("ops", admin=True))


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
