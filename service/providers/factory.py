"""Which provider the settings ask for."""

from __future__ import annotations

from service.config import Settings
from service.providers.base import FineTuningProvider
from service.providers.openai import OpenAIProvider


def build_provider(settings: Settings) -> FineTuningProvider:
    key = settings.openai_key()
    if not key:
        raise RuntimeError("no OpenAI key: set FTJOBS_OPENAI_API_KEY (or OPENAI_API_KEY)")
    return OpenAIProvider(
        api_key=key, base_url=settings.openai_base_url, timeout=settings.openai_timeout_seconds
    )
