"""The database work behind `ftjobs keys …`."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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


# Where a running `ftjobs dev` leaves its database URL, so that `ftjobs keys …` run beside it
# finds the embedded database without FTJOBS_DATABASE_URL (whose port changes with every start).
DEV_DATABASE_URL_FILE = "dev-database-url"


def write_dev_database_url(data_dir: Path, url: str) -> Path:
    """Writes the file 0600 from the start (the URL may carry a password) and atomically, so a
    reader never sees half of it; `ftjobs dev` removes it when it stops."""
    path = data_dir / DEV_DATABASE_URL_FILE
    partial = path.with_suffix(".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(url + "\n")
    partial.replace(path)
    return path


def read_dev_database_url(data_dir: Path) -> str | None:
    """The URL a running `ftjobs dev` with this data directory wrote, or None."""
    try:
        return (data_dir / DEV_DATABASE_URL_FILE).read_text().strip() or None
    except FileNotFoundError:
        return None


def without_password(url: str) -> str:
    """The URL to show a person: everything but the password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
