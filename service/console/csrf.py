"""Cross-site request forgery: every console form carries a token the attacker's page cannot
read (pure).

Signed in, the token lives in the server-side session (a synchronizer token). Before sign-in
there is no session yet: the login form's token is also set as a cookie of its own (HttpOnly,
SameSite=Strict, /console only) and the post must bring both, equal. The JSON API takes no
cookies, so it needs none of this: the check is the console's alone."""

from __future__ import annotations

import secrets

FIELD = "_csrf_token"  # the hidden form field


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(sent: str | None, expected: str | None) -> bool:
    """Both present and equal, compared in constant time."""
    if not sent or not expected:
        return False
    return secrets.compare_digest(sent.encode(), expected.encode())
