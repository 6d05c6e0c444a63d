"""What a pipeline request must satisfy before anything is read or written (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from service.errors import FieldError
from service.jobs import rules as job_rules
from service.providers.registry import (
    Destination,
    check_end_dates,
    check_hyperparameters,
    check_model,
)

# OpenAI refuses fine-tuning files with fewer examples than this.
MIN_SFT_EXAMPLES = 10


def check_request(
    *,
    destination: Destination,
    model: str,
    fraction: Any,
    sft_hyperparameters: Mapping[str, Any],
    dpo_hyperparameters: Mapping[str, Any],
    suffix: str | None,
    seed: int | None,
    metadata: Mapping[str, str],
) -> list[FieldError]:
    """Both stages' jobs are checked here, so the DPO job that a worker creates later is not
    refused for something the request could have been told about: the base model must be one
    the provider tunes with both methods (DPO continues from the SFT model of that base)."""
    info = destination.info
    errors = list(destination.errors)
    errors += job_rules.check_request(
        suffix=suffix, seed=seed, metadata=metadata, suffix_limit=info.suffix_limit
    )
    if destination.errors:
        return errors
    errors += check_model(info, "sft", model) or check_model(info, "dpo", model)
    errors += check_end_dates(info, model, destination.today)
    errors += _under("/sft", check_hyperparameters(info, "sft", sft_hyperparameters))
    errors += _under("/dpo", check_hyperparameters(info, "dpo", dpo_hyperparameters))
    if not _is_fraction(fraction):
        message = f"fraction must be a number > 0 and <= 1, got {fraction!r}"
        errors.append(FieldError("invalid_fraction", message, path="/sft/fraction"))
    return errors


def _is_fraction(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return 0 < value <= 1


def _under(prefix: str, errors: list[FieldError]) -> list[FieldError]:
    return [replace(error, path=prefix + (error.path or "")) for error in errors]


def selection_size(fraction: float, total: int) -> int:
    """How many of `total` examples the SFT stage trains on: the fraction, rounded up (so any
    fraction keeps at least one), without float noise (0.3 x 10 is 3, not 4)."""
    return min(total, math.ceil(round(fraction * total, 9)))


def too_few(fraction: float, total: int, dataset_id: str) -> FieldError | None:
    size = selection_size(fraction, total)
    if size >= MIN_SFT_EXAMPLES:
        return None
    message = (
        f"the SFT stage needs at least {MIN_SFT_EXAMPLES} examples, but a fraction of "
        f"{fraction:g} of the {total} examples in {dataset_id} is {size}"
    )
    return FieldError("too_few_examples", message, path="/sft/fraction")
