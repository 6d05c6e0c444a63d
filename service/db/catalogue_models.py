"""The models each provider fine-tunes, as the provider itself lists them, with their limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base


class ProviderModel(Base):
    """One model a provider lists as tunable (Together), refreshed by the workers every few
    minutes: the API checks jobs against it without calling the provider. A provider whose list
    is the registry's (OpenAI, Azure) has no rows."""

    __tablename__ = "provider_models"

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    model: Mapped[str] = mapped_column(String(300), primary_key=True)
    # `providers.limits.ModelLimits.to_json()`: methods, batch sizes, sequence lengths, ….
    limits: Mapped[dict[str, Any]]
    refreshed_at: Mapped[datetime]
