"""The job pages in a real Chromium: filters, the chart drawn from the job's metrics, a running
job followed to the end without reloading, another team's job."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.console.browser.conftest import SCREENSHOTS, FinishedJob, Keys, sign_in
from tests.e2e.client import ApiClient
from tests.support.processes import Stack

pytestmark = pytest.mark.e2e


def test_filters_find_a_job_and_its_page_shows_what_the_api_says(
    console_stack: Stack, keys: Keys, team_a: ApiClient, finished_job: FinishedJob, page: Page
) -> None:
    sign_in(page, console_stack, keys.team_a)
    page.get_by_label("succeeded").check()
    page.get_by_label("Provider").select_option("openai")
    page.get_by_label("Metadata").fill(f"experiment={finished_job.experiment}")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(finished_job.id)
    assert "status=succeeded" in page.url and "provider=openai" in page.url

    page.get_by_label("Metadata").fill("experiment=no-such-run")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("status")).to_contain_text("No job matches these filters")

    page.goto(f"{console_stack.api_url}/console/jobs?dataset_id={finished_job.training_dataset_id}")
    page.get_by_role("link", name=finished_job.id).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(finished_job.id)
    job = team_a.job(finished_job.id)
    summary = page.get_by_role("region", name="Status")
    expect(summary.locator(".status")).to_have_text("succeeded")
    expect(summary).to_contain_text(job["fine_tuned_model"])
    details = page.get_by_role("complementary", name="Details")
    expect(details).to_contain_text(job["provider_job_id"])
    expect(details).to_contain_text(job["provider_file_id"])
    expect(details.locator("dl.facts").nth(1)).to_contain_text("beta")
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("job.pending")
    expect(timeline).to_contain_text("job.succeeded")
    expect(timeline).to_contain_text("openai.metrics")
    checkpoints = team_a.http.get(f"/v1/jobs/{finished_job.id}/checkpoints").json()["data"]
    assert checkpoints
    for checkpoint in checkpoints:
        expect(page.locator("#checkpoints-h + table")).to_contain_text(
            checkpoint["fine_tuned_model_checkpoint"]
        )


def metrics_of(api: ApiClient, job_id: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    cursor = None
    while True:
        params = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        page = api.http.get(f"/v1/jobs/{job_id}/metrics", params=params).json()
        rows += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def test_the_loss_chart_is_drawn_from_the_jobs_metrics(
    console_stack: Stack, keys: Keys, team_a: ApiClient, finished_job: FinishedJob, page: Page
) -> None:
    sign_in(page, console_stack, keys.team_a)
    page.goto(f"{console_stack.api_url}/console/jobs/{finished_job.id}")
    metrics = metrics_of(team_a, finished_job.id)
    chart = page.locator("#loss-chart")
    expect(chart.locator(".legend")).to_contain_text("Training loss")
    expect(chart.locator(".legend")).to_contain_text("Validation loss")
    expect(chart.locator(".axis-label")).to_have_text(["Loss (nats)", "Training step"])
    for name in ("train_loss", "valid_loss"):
        expected = [(m["step"], m["values"][name]) for m in metrics if name in m["values"]]  # type: ignore[index, operator]
        assert expected, f"the job reported no {name}"
        path = chart.locator(f'path[data-series="{name}"]')
        steps = [int(s) for s in (path.get_attribute("data-steps") or "").split(",")]
        values = [float(v) for v in (path.get_attribute("data-values") or "").split(",")]
        assert list(zip(steps, values, strict=True)) == expected
        drawn = re.findall(r"(-?[\d.]+),(-?[\d.]+)", path.get_attribute("d") or "")
        assert len(drawn) == len(expected)
        xs = [float(x) for x, _ in drawn]
        ys = [float(y) for _, y in drawn]
        assert xs == sorted(xs)
        # The highest loss is drawn highest (smallest y), the lowest lowest.
        by_value = sorted(range(len(expected)), key=lambda i: expected[i][1])
        assert ys[by_value[0]] == max(ys) and ys[by_value[-1]] == min(ys)
    expect(chart.get_by_role("img")).to_have_accessible_name(re.compile("Loss per step"))
    page.screenshot(path=str(SCREENSHOTS / "job.png"), full_page=True)
    chart.get_by_text("Loss per step as a table").click()
    expect(chart.locator("details table tbody tr")).to_have_count(len(metrics))


def test_a_running_job_is_followed_to_succeeded_without_reloading(
    console_stack: Stack, keys: Keys, team_a: ApiClient, page: Page
) -> None:
    job = team_a.create_job(hyperparameters={"beta": 0.2})
    sign_in(page, console_stack, keys.team_a)
    page.goto(f"{console_stack.api_url}/console/jobs/{job['id']}")
    status = page.get_by_role("region", name="Status").locator(".status")
    opened_as = status.inner_text()
    assert opened_as != "succeeded"
    page.evaluate(
        """() => {
            window.__notReloaded = true;
            window.__seen = [];
            const live = document.getElementById("live");
            new MutationObserver(() => window.__seen.push(live.dataset.status))
                .observe(live, {attributes: true, attributeFilter: ["data-status"]});
        }"""
    )
    expect(page.get_by_role("region", name="Status").locator(".status")).to_have_text(
        "succeeded", timeout=90_000
    )
    seen = page.evaluate("window.__seen")
    assert seen[-1] == "succeeded" and len(seen) >= 2, seen  # it moved on the page, step by step
    expect(page.locator("#loss-chart path[data-series='train_loss']")).to_be_visible()
    expect(page.locator("ol.timeline")).to_contain_text("job.succeeded")
    expect(page.locator("#announce")).to_contain_text("succeeded")
    assert page.evaluate("window.__notReloaded") is True


def test_another_teams_job_is_not_found(
    console_stack: Stack, keys: Keys, finished_job: FinishedJob, page: Page
) -> None:
    sign_in(page, console_stack, keys.team_b)
    response = page.goto(f"{console_stack.api_url}/console/jobs/{finished_job.id}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("404 · Not found")
    expect(page.locator("main")).not_to_contain_text("support")
    response = page.goto(f"{console_stack.api_url}/console/jobs/{finished_job.id}/events/stream")
    assert response is not None and response.status == 404
    page.goto(f"{console_stack.api_url}/console/jobs")
    expect(page.locator("main")).not_to_contain_text(finished_job.id)


def test_an_admin_sees_every_teams_job_and_bad_filters_are_named(
    console_stack: Stack, keys: Keys, finished_job: FinishedJob, page: Page
) -> None:
    sign_in(page, console_stack, keys.admin)
    page.goto(f"{console_stack.api_url}/console/jobs/{finished_job.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(finished_job.id)
    response = page.goto(f"{console_stack.api_url}/console/jobs?status=finished")
    assert response is not None and response.status == 422
    expect(page.locator(".field-errors")).to_contain_text("/status")
    response = page.goto(f"{console_stack.api_url}/console/jobs?metadata=oops")
    assert response is not None and response.status == 400
    expect(page.locator(".field-errors")).to_contain_text("/metadata")
