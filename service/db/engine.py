"""Engines and sessions. Plain `postgresql://` URLs in settings; the driver is ours to pick."""

from __future__ import annotations

from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool


def async_url(url: str) -> str:
    """`postgresql://…` (or `postgres://…`) → the asyncpg dialect URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() not in {"postgresql", "postgres"}:
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def create_engine(url: str, *, pooled: bool = True, pool_size: int = 10) -> AsyncEngine:
    """A pooled engine for long-lived processes; `pooled=False` for per-job engines in forked
    RQ work-horses, which must never share a pool across fork."""
    if not pooled:
        return create_async_engine(async_url(url), poolclass=NullPool)
    return create_async_engine(
        async_url(url), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
