"""API keys: random, shown once, stored as a hash (pure helpers)."""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "ftk_"


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# Postgres NOTIFY channel on which a revocation is announced (payload: the key id).
REVOCATIONS_CHANNEL = "ftjobs_api_keys"
