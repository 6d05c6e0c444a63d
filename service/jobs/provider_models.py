"""The models a provider lists as tunable, and their limits: read from the provider by the
workers every few minutes (`refresh`), checked by the API from the database (`check`), so a job
request never waits on, or fails for, the provider being down.

Until a provider's list was read once, the registry's static list stands in and the worker's
pre-create check (`FineTuningProvider.preflight`) still guards the limits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Dataset
from service.errors import FieldError
from service.jobs import provider_models_repository as repository
from service.jobs.provider_models_repository import Listing
from service.jobs.runtime import Runtime
from service.providers.base import ProviderError
from service.providers.limits import ModelLimits, check_length, check_limits
from service.providers.registry import METHODS, Destination, Method

log = logging.getLogger(__name__)


async def refresh(rt: Runtime) -> dict[str, int]:
    """Reads every configured provider's own list; returns the number of models per provider
    that has one. A provider that fails keeps its last list (the next round tries again)."""
    counts = {}
    for name, provider in rt.providers.items():
        try:
            models = await provider.tunable_models()
        except ProviderError as error:
            log.warning("could not read %s's tunable models: %s", name, error.message)
            continue
        if models is None:
            continue
        async with rt.sessions.begin() as session:
            await repository.replace(session, name, models, datetime.now(UTC))
        counts[name] = len(models)
        log.info("%s lists %d tunable models", name, len(models))
    return counts


async def listing_for(session: AsyncSession, destination: Destination) -> Listing | None:
    if destination.errors or not destination.info.lists_models:
        return None
    return await repository.listing(session, destination.info.name)


def with_listing(destination: Destination, listing: Listing | None) -> Destination:
    """The destination with the provider's own models in place of the registry's."""
    if listing is None:
        return destination
    models = {
        method: tuple(sorted(name for name, m in listing.models.items() if method in m.methods))
        for method in METHODS
    }
    return replace(destination, info=replace(destination.info, models=models))


def check(
    listing: Listing | None,
    method: Method,
    model: str,
    hyperparameters: Mapping[str, Any],
    datasets: Mapping[str, Dataset],
) -> list[FieldError]:
    """The model's limits against the job's hyperparameters and the longest example of each
    dataset (`datasets`: the request's field pointer → the dataset)."""
    limits: ModelLimits | None = listing.models.get(model) if listing is not None else None
    if limits is None:  # not listed yet, or a checkpoint of ours: the worker checks before create
        return []
    errors = check_limits(limits, method, hyperparameters)
    for path, dataset in datasets.items():
        stats = (dataset.report or {}).get("stats") or {}
        if not stats.get("tokens_counted"):
            continue
        longest, line = longest_sequence(stats)
        where = f"dataset {dataset.id} (line {line})" if line else f"dataset {dataset.id}"
        errors += check_length(limits, method, longest, path=path, where=where, line=line)
    return errors


def longest_sequence(stats: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """The longest training sequence in tokens and its line: what a model's maximum sequence
    length limits (DPO: input and the longer output, not both outputs). Reports from before
    the validator measured sequences have only the longest example (both outputs): an upper
    bound, used as the best figure they have."""
    if stats.get("max_sequence_tokens"):
        return stats["max_sequence_tokens"], stats.get("max_sequence_line")
    return stats.get("max_example_tokens"), stats.get("max_example_line")
