"""The database work behind `ftjobs keys …`."""

from __future__ import annotations

from service.auth import service as auth
from service.db.engine import create_engine, session_factory


async def create_key(
    database_url: str, team: str, admin: bool, name: str | None
) -> tuple[str, str]:
    engine = create_engine(database_url, pooled=False)
    try:
        async with session_factory(engine).begin() as session:
            key, plaintext = await auth.create_key(session, team, admin=admin, name=name)
            return key.id, plaintext
    finally:
        await engine.dispose()


async def list_keys(database_url: str) -> list[str]:
    engine = create_engine(database_url, pooled=False)
    try:
        async with session_factory(engine)() as session:
            rows = await auth.list_keys(session)
    finally:
        await engine.dispose()
    return [
        f"{k.id}\tteam={k.team}\tadmin={k.is_admin}\tcreated={k.created_at:%Y-%m-%dT%H:%M:%SZ}"
        f"\t{'revoked' if k.revoked_at else 'active'}\t{k.name or ''}"
        for k in rows
    ]


async def revoke_key(database_url: str, key_id: str) -> bool:
    engine = create_engine(database_url, pooled=False)
    try:
        async with session_factory(engine).begin() as session:
            return await auth.revoke_key(session, key_id)
    finally:
        await engine.dispose()
