"""Standard Webhooks signatures (pure, apart from drawing a new secret).

`webhook-signature` is `v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`, signed by the
`standardwebhooks` reference implementation so consumers' verifiers agree byte for byte. While a
rotated-out secret is still in its overlap window, the header carries one signature per secret,
space-separated: a consumer holding either secret verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105  (a prefix, not a secret)
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def digest(secret: str) -> str:
    """Names a secret without revealing it (32 random bytes: a digest cannot be reversed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def with_digest(candidates: Sequence[str], wanted: str) -> str | None:
    """The candidate whose digest is `wanted`, compared in constant time."""
    for candidate in candidates:
        if hmac.compare_digest(digest(candidate), wanted):
            return candidate
    return None


def signing_secrets(
    secret: str, previous: str | None, previous_expires_at: datetime | None, now: datetime
) -> list[str]:
    """The current secret, and the previous one while its overlap window lasts."""
    if previous is not None and previous_expires_at is not None and now < previous_expires_at:
        return [secret, previous]
    return [secret]


def signature(secrets_: Sequence[str], message_id: str, timestamp: int, body: str) -> str:
    when = datetime.fromtimestamp(timestamp, UTC)
    return " ".join(Webhook(key).sign(message_id, when, body) for key in secrets_)


def headers(secrets_: Sequence[str], message_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secrets_, message_id, timestamp, body),
    }
