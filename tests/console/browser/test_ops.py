"""The ops page: /v1/stats for every team, for admin keys only."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.console.browser.conftest import FinishedJob, Keys, sign_in
from tests.support.processes import Stack

pytestmark = pytest.mark.e2e


def test_only_an_admin_key_sees_the_ops_page_with_the_stats_figures(
    console_stack: Stack, keys: Keys, finished_job: FinishedJob, page: Page
) -> None:
    sign_in(page, console_stack, keys.team_a)
    expect(page.get_by_role("link", name="Ops")).to_have_count(0)
    response = page.goto(f"{console_stack.api_url}/console/ops")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("403 · Forbidden")

    page.context.clear_cookies()
    sign_in(page, console_stack, keys.admin)
    page.get_by_role("link", name="Ops").click()
    stats = page.request.get(
        f"{console_stack.api_url}/v1/stats", headers={"Authorization": f"Bearer {keys.admin}"}
    ).json()
    by_status = page.get_by_role("region", name="Jobs by status")
    for status, count in stats["jobs"]["by_status"].items():
        expect(by_status.get_by_role("row", name=status)).to_contain_text(str(count))
    by_provider = page.get_by_role("region", name="Jobs by provider")
    for provider, count in stats["jobs"]["by_provider"].items():
        expect(by_provider.get_by_role("row", name=provider)).to_contain_text(str(count))
    expect(page.locator(".tiles")).to_contain_text(f"queued steps ({stats['queue']['name']})")
    expect(page.get_by_role("region", name="Webhook deliveries")).to_be_visible()
