"""Providers as the settings make them: which are configured, and a client for each."""

from __future__ import annotations

import importlib.util

from service.config import Settings
from service.providers.azure import AzureOpenAIProvider, entra_token_provider
from service.providers.base import FineTuningProvider
from service.providers.openai import OpenAIProvider
from service.providers.registry import PROVIDERS, Catalogue, Offer, with_end_dates
from service.providers.together import TogetherProvider


def catalogue(settings: Settings) -> Catalogue:
    return Catalogue(
        offers={
            name: Offer(
                with_end_dates(info, settings.provider_end_dates.get(name)),
                configured=is_configured(settings, name),
            )
            for name, info in PROVIDERS.items()
        },
        chosen_default=settings.default_provider,
    )


def is_configured(settings: Settings, name: str) -> bool:
    if name == "openai":
        return bool(settings.openai_key())
    if name == "azure":
        has_credential = bool(settings.azure_key()) or _entra_installed()
        return bool(settings.azure_openai_endpoint) and has_credential
    if name == "together":
        return bool(settings.together_key())
    return False


def _entra_installed() -> bool:
    """azure-identity (the `azure` extra) gives a token when no key is set."""
    try:
        return importlib.util.find_spec("azure.identity") is not None
    except ModuleNotFoundError:  # not even the `azure` namespace
        return False


def build_provider(settings: Settings, name: str = "openai") -> FineTuningProvider:
    if name == "azure":
        return _azure(settings)
    if name == "together":
        return _together(settings)
    key = settings.openai_key()
    if not key:
        raise RuntimeError("no OpenAI key: set FTJOBS_OPENAI_API_KEY (or OPENAI_API_KEY)")
    return OpenAIProvider(
        api_key=key, base_url=settings.openai_base_url, timeout=settings.openai_timeout_seconds
    )


def _azure(settings: Settings) -> FineTuningProvider:
    endpoint = settings.azure_openai_endpoint
    if not endpoint:
        raise RuntimeError("Azure OpenAI is not configured: set FTJOBS_AZURE_OPENAI_ENDPOINT")
    key = settings.azure_key()
    return AzureOpenAIProvider(
        endpoint=endpoint,
        api_key=key,
        token_provider=None if key else entra_token_provider(),
        timeout=settings.openai_timeout_seconds,
    )


def _together(settings: Settings) -> FineTuningProvider:
    key = settings.together_key()
    if not key:
        raise RuntimeError("Together AI is not configured: set FTJOBS_TOGETHER_API_KEY")
    return TogetherProvider(
        api_key=key,
        base_url=settings.together_base_url,
        timeout=settings.together_timeout_seconds,
    )
