"""Signatures as the Standard Webhooks reference verifier checks them (pure)."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from service.webhooks import signing

BODY = '{"type":"job.succeeded","timestamp":"2026-01-01T00:00:00Z","data":{}}'
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_new_secret_is_whsec_and_32_random_bytes() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert secret != signing.new_secret()


def test_the_reference_verifier_accepts_our_headers() -> None:
    secret = signing.new_secret()
    headers = signing.headers([secret], "evt_1", int(time.time()), BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(BODY, headers)["type"] == "job.succeeded"


def test_a_changed_body_or_id_does_not_verify() -> None:
    secret = signing.new_secret()
    headers = signing.headers([secret], "evt_1", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace("succeeded", "failed"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, headers | {"webhook-id": "evt_2"})
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(BODY, headers)


def test_during_the_overlap_both_secrets_sign_and_each_verifies() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    keys = signing.signing_secrets(new, old, NOW + timedelta(hours=1), NOW)
    assert keys == [new, old]
    headers = signing.headers(keys, "evt_1", int(time.time()), BODY)
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    for secret in (old, new):
        assert Webhook(secret).verify(BODY, headers)


def test_after_the_overlap_only_the_new_secret_signs() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    assert signing.signing_secrets(new, old, NOW, NOW) == [new]
    assert signing.signing_secrets(new, None, None, NOW) == [new]
    headers = signing.headers([new], "evt_1", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(BODY, headers)
