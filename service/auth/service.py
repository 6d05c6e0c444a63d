"""Who is calling: a team, and whether the key may see every team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import repository
from service.auth.keys import generate_key, hash_key
from service.db.models import ApiKey
from service.db.reader import Reader
from service.ids import new_id


@dataclass(frozen=True)
class Principal:
    key_id: str
    team: str
    is_admin: bool


async def authenticate(reader: Reader, presented: str) -> Principal | None:
    key = await repository.find_active_by_hash(reader, hash_key(presented))
    return Principal(key["id"], key["team"], key["is_admin"]) if key else None


async def principal_of_key(reader: Reader, key_id: str) -> Principal | None:
    """The principal of a key known by its id (a console session), while it is not revoked."""
    key = await repository.find_active_by_id(reader, key_id)
    return Principal(key["id"], key["team"], key["is_admin"]) if key else None


async def create_key(
    session: AsyncSession, team: str, *, admin: bool = False, name: str | None = None
) -> tuple[ApiKey, str]:
    """Returns the row and the plaintext key, which exists only in this return value."""
    if not team.strip():
        raise ValueError("team must not be empty")
    plaintext = generate_key()
    key = ApiKey(
        id=new_id("key"), team=team, name=name, key_hash=hash_key(plaintext), is_admin=admin
    )
    await repository.add(session, key)
    return key, plaintext


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    return await repository.list_all(session)


async def revoke_key(session: AsyncSession, key_id: str) -> bool:
    return await repository.revoke(session, key_id, datetime.now(UTC))
