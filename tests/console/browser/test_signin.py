"""Signing in and out of the console in a real Chromium, and what guards it: wrong keys, CSRF,
the cookie's flags, revocation."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from service.cli.keys import revoke_key
from service.console.signin import safe_next
from tests.console.browser.conftest import Keys, new_key, off_the_loop, sign_in
from tests.support.processes import Stack
from tests.support.services import Backing

pytestmark = pytest.mark.e2e


def test_a_key_signs_in_and_out_through_a_session_cookie_that_is_not_the_key(
    console_stack: Stack, keys: Keys, context: BrowserContext, page: Page
) -> None:
    page.goto(f"{console_stack.api_url}/console/jobs")
    expect(page).to_have_url(re.compile(r"/console/login\?next=%2Fconsole%2Fjobs$"))
    sign_in(page, console_stack, keys.team_a)
    expect(page.locator(".who .team")).to_contain_text("team-a")

    [session] = [c for c in context.cookies() if c["name"] == "ftjobs_console"]
    assert session["httpOnly"] and session["secure"]
    assert session["sameSite"] == "Lax" and session["path"] == "/console"
    assert session["expires"] > 0  # not a browser-session cookie: it expires
    assert keys.team_a not in session["value"]
    assert all(keys.team_a not in c["value"] for c in context.cookies())

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/login$"))
    assert not [c for c in context.cookies() if c["name"] == "ftjobs_console"]
    page.goto(f"{console_stack.api_url}/console/datasets")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))


def test_a_wrong_key_cannot_sign_in(console_stack: Stack, page: Page) -> None:
    page.goto(f"{console_stack.api_url}/console/login")
    page.get_by_label("API key").fill("ftk_not-a-key-of-this-service")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("That key is unknown or has been revoked.")
    expect(page.get_by_label("API key")).to_have_attribute("aria-invalid", "true")
    page.goto(f"{console_stack.api_url}/console/jobs")
    expect(page).to_have_url(re.compile(r"/console/login"))


def test_a_form_post_without_its_csrf_token_is_refused(console_stack: Stack, keys: Keys) -> None:
    base = console_stack.api_url
    with httpx.Client(base_url=base, headers={"Accept": "text/html"}) as client:
        form = client.get("/console/login")
        cookie = form.cookies["ftjobs_console_csrf"]
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        assert token is not None and token.group(1) == cookie
        # Explicit Cookie headers: the cookies are Secure, which httpx keeps off plain http.
        jar = {"Cookie": f"ftjobs_console_csrf={cookie}"}
        no_token = client.post("/console/login", data={"key": keys.team_a}, headers=jar)
        assert no_token.status_code == 403
        assert "CSRF token" in no_token.text
        forged = client.post(
            "/console/login", data={"key": keys.team_a, "_csrf_token": "forged"}, headers=jar
        )
        assert forged.status_code == 403
        signed_in = client.post(
            "/console/login", data={"key": keys.team_a, "_csrf_token": cookie}, headers=jar
        )
        assert signed_in.status_code == 303
        session = {"Cookie": f"ftjobs_console={signed_in.cookies['ftjobs_console']}"}
        # Signed in, sign-out needs the session's own token: a forged post changes nothing.
        assert client.post("/console/logout", data={}, headers=session).status_code == 403
        assert client.get("/console/jobs", headers=session).status_code == 200
        # The JSON API takes no part in this: a bearer POST needs no token.
        api = client.post(
            "/v1/datasets/validate",
            content=b"{}\n",
            headers={"Authorization": f"Bearer {keys.team_a}", "Content-Type": "application/jsonl"},
        )
        assert api.status_code == 200


def test_a_revoked_key_is_signed_out_at_once(
    console_stack: Stack, backing: Backing, page: Page
) -> None:
    key_id, key = new_key(backing, "team-revoked")
    sign_in(page, console_stack, key)
    assert off_the_loop(revoke_key(backing.database_url, key_id))
    page.goto(f"{console_stack.api_url}/console/jobs")
    expect(page).to_have_url(re.compile(r"/console/login"))


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/console/jobs/job_1", "/console/jobs/job_1"),
        ("https://evil.example/", "/console/jobs"),
        ("//evil.example/console/", "/console/jobs"),
        ("/console/\\evil", "/console/jobs"),
        ("/v1/jobs", "/console/jobs"),
        (None, "/console/jobs"),
    ],
)
def test_after_sign_in_only_console_pages_of_this_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected
