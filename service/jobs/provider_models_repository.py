"""All SQL about the models a provider lists as tunable (`provider_models`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.catalogue_models import ProviderModel
from service.providers.limits import ModelLimits


@dataclass(frozen=True)
class Listing:
    """A provider's own list of tunable models, as last read."""

    models: dict[str, ModelLimits]
    refreshed_at: datetime


async def replace(
    session: AsyncSession, provider: str, models: list[ModelLimits], now: datetime
) -> None:
    """The provider's list as it is now: models it no longer lists are removed."""
    await session.execute(
        delete(ProviderModel).where(
            ProviderModel.provider == provider,
            ProviderModel.model.not_in([limits.model for limits in models]),
        )
    )
    if not models:
        return
    statement = insert(ProviderModel).values(
        [
            {"provider": provider, "model": m.model, "limits": m.to_json(), "refreshed_at": now}
            for m in models
        ]
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ProviderModel.provider, ProviderModel.model],
            set_={
                "limits": statement.excluded.limits,
                "refreshed_at": statement.excluded.refreshed_at,
            },
        )
    )


async def listing(session: AsyncSession, provider: str) -> Listing | None:
    """None until the provider's list was read once."""
    rows = (
        await session.scalars(select(ProviderModel).where(ProviderModel.provider == provider))
    ).all()
    if not rows:
        return None
    return Listing(
        models={row.model: ModelLimits.from_json(row.limits) for row in rows},
        refreshed_at=min(row.refreshed_at for row in rows),
    )
