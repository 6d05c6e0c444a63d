"""Idempotency rules (pure) and the purge of expired keys (real database)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from service.db.engine import create_engine, session_factory
from service.db.ops_models import IdempotencyKey
from service.idempotency import service as idempotency
from service.idempotency.service import Decision, KeyRequest, Policy, check_key, decide, fingerprint
from tests.support.services import Backing

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LOCK = timedelta(minutes=15)


def row(**fields: object) -> IdempotencyKey:
    values: dict[str, object] = {
        "team": "t",
        "key": "k",
        "fingerprint": "f",
        "method": "POST",
        "path": "/v1/jobs",
        "lock_token": "tok",
        "locked_at": NOW - timedelta(seconds=1),
        "expires_at": NOW + timedelta(hours=1),
    }
    return IdempotencyKey(**(values | fields))


@pytest.mark.parametrize(
    ("fields", "presented", "expected"),
    [
        ({}, "f", Decision.IN_FLIGHT),
        ({"locked_at": NOW - LOCK}, "f", Decision.TAKE_OVER),
        ({"lock_token": None, "locked_at": None, "response_status": 202}, "f", Decision.REPLAY),
        ({"lock_token": None, "locked_at": None, "response_status": 202}, "g", Decision.MISMATCH),
        ({}, "g", Decision.MISMATCH),
        ({"expires_at": NOW, "response_status": 202}, "g", Decision.TAKE_OVER),
    ],
)
def test_decide(fields: dict[str, object], presented: str, expected: Decision) -> None:
    assert decide(row(**fields), presented, NOW, LOCK) is expected


def test_fingerprint_is_canonical_and_covers_route_and_body() -> None:
    base = fingerprint("POST", "/v1/jobs", {"a": 1, "b": {"x": 1, "y": 2}})
    assert base == fingerprint("post", "/v1/jobs", {"b": {"y": 2, "x": 1}, "a": 1})
    assert base != fingerprint("POST", "/v1/datasets", {"a": 1, "b": {"x": 1, "y": 2}})
    assert base != fingerprint("POST", "/v1/jobs", {"a": 2, "b": {"x": 1, "y": 2}})


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("a", True),
        ("x" * 255, True),
        ("", False),
        ("x" * 256, False),
        ("é", False),
        ("a\nb", False),
    ],
)
def test_check_key(key: str, ok: bool) -> None:
    assert (check_key(key) is None) is ok


def test_purge_deletes_only_expired_keys(clean: Backing) -> None:
    async def run() -> tuple[int, list[str]]:
        engine = create_engine(clean.database_url, pooled=False)
        sessions = session_factory(engine)
        for key, ttl in [("old", -1.0), ("older", -100.0), ("fresh", 3600.0)]:
            policy = Policy(ttl=timedelta(seconds=ttl), lock_timeout=LOCK)
            async with sessions.begin() as session:
                await idempotency.claim(session, KeyRequest("t", key, "POST", "/x", "f"), policy)
        purged = await idempotency.purge_expired(sessions)
        async with sessions() as session:
            left = (await session.execute(IdempotencyKey.__table__.select())).all()
        await engine.dispose()
        return purged, [r.key for r in left]

    assert asyncio.run(run()) == (2, ["fresh"])
