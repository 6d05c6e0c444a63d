"""The dataset pages in a real Chromium: the list, and the report as a person reads it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.console.browser.conftest import SCREENSHOTS, FinishedJob, Keys, new_key, sign_in
from tests.e2e.client import ApiClient
from tests.support.processes import Stack
from tests.support.services import Backing

pytestmark = pytest.mark.e2e


def test_the_dataset_report_shows_counts_tokens_and_warnings_by_code_with_lines(
    console_stack: Stack, keys: Keys, team_a: ApiClient, finished_job: FinishedJob, page: Page
) -> None:
    dataset = team_a.http.get(f"/v1/datasets/{finished_job.training_dataset_id}").json()
    report = dataset["report"]
    assert report["warnings_total"] > 0
    sign_in(page, console_stack, keys.team_a)
    page.get_by_role("link", name="Datasets").click()
    page.get_by_role("link", name=dataset["id"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("support-replies")
    counts = page.get_by_role("region", name="Counts")
    expect(counts).to_contain_text(f"{report['stats']['examples']:,}")
    tokens = page.get_by_role("region", name="Tokens")
    expect(tokens).to_contain_text(f"{report['stats']['total_tokens']:,}")
    expect(tokens).to_contain_text(f"line {report['stats']['max_example_line']}")
    groups = page.locator("details.issue-group.warning")
    codes = sorted({w["code"] for w in report["warnings"]})
    expect(groups).to_have_count(len(codes))
    for code in codes:
        group = groups.filter(has_text=code)
        expect(group.locator("summary")).to_contain_text(
            f"{report['counts_by_code'][code]} warning"
        )
        group.locator("summary").click()
        for warning in (w for w in report["warnings"] if w["code"] == code):
            expect(group).to_contain_text(f"line {warning['line']}")
    providers = page.get_by_role("region", name="Providers")
    if "providers" in report:
        expect(providers.locator(".verdicts > li")).to_have_count(len(report["providers"]))
    else:
        expect(providers).to_contain_text("predates per-provider verdicts")
    page.evaluate("document.querySelectorAll('details.issue-group').forEach(d => d.open = true)")
    page.screenshot(path=str(SCREENSHOTS / "dataset.png"), full_page=True)


def test_empty_states_say_how_to_start(console_stack: Stack, backing: Backing, page: Page) -> None:
    _, key = new_key(backing, "team-empty")
    sign_in(page, console_stack, key)
    expect(page.get_by_role("status")).to_contain_text("No jobs yet")
    expect(page.locator(".empty pre")).to_contain_text(f"{console_stack.api_url}/v1/jobs")
    page.get_by_role("link", name="Datasets").click()
    expect(page.get_by_role("status")).to_contain_text("No datasets yet")
