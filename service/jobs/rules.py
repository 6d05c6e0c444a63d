"""What a job request must satisfy before anything is written (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.errors import FieldError, pointer

# Base models OpenAI fine-tunes with DPO (and SFT); `ft:` models continue training.
SUPPORTED_MODELS = frozenset(
    {
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "gpt-4o-2024-08-06",
        "gpt-4o-mini-2024-07-18",
    }
)
METADATA_KEY = "ftjobs_job_id"
MAX_METADATA_PAIRS = 15  # OpenAI allows 16; one is ours.
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class Range:
    integer: bool
    low: float
    high: float | None
    low_exclusive: bool = False

    def describe(self) -> str:
        low = f"> {self.low:g}" if self.low_exclusive else f">= {self.low:g}"
        kind = "an integer" if self.integer else "a number"
        return f'"auto" or {kind} {low}' + (f" and <= {self.high:g}" if self.high else "")

    def admits(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.integer and not float(value).is_integer():
            return False
        above = value > self.low if self.low_exclusive else value >= self.low
        return above and (self.high is None or value <= self.high)


HYPERPARAMETERS: dict[str, dict[str, Range]] = {
    "sft": {
        "n_epochs": Range(integer=True, low=1, high=50),
        "batch_size": Range(integer=True, low=1, high=256),
        "learning_rate_multiplier": Range(integer=False, low=0, high=None, low_exclusive=True),
    },
}
HYPERPARAMETERS["dpo"] = {
    **HYPERPARAMETERS["sft"],
    "beta": Range(integer=False, low=0, high=2, low_exclusive=True),
}


def check_hyperparameters(method: str, values: Mapping[str, Any]) -> list[FieldError]:
    allowed = HYPERPARAMETERS[method]
    errors = []
    for name, value in values.items():
        path = pointer("hyperparameters", name)
        if name not in allowed:
            message = f"unknown hyperparameter for {method}; allowed: {', '.join(sorted(allowed))}"
            errors.append(FieldError("unknown_hyperparameter", message, path=path))
        elif value != "auto" and not allowed[name].admits(value):
            message = f"{name} must be {allowed[name].describe()}, got {value!r}"
            errors.append(FieldError("hyperparameter_out_of_range", message, path=path))
    return errors


def check_model(model: str) -> list[FieldError]:
    if model in SUPPORTED_MODELS or model.startswith("ft:"):
        return []
    message = (
        f"model {model!r} cannot be fine-tuned here; use one of "
        f"{', '.join(sorted(SUPPORTED_MODELS))} or an ft: model"
    )
    return [FieldError("unsupported_model", message, path="/model")]


def check_request(
    *,
    method: str,
    model: str,
    hyperparameters: Mapping[str, Any],
    suffix: str | None,
    seed: int | None,
    metadata: Mapping[str, str],
) -> list[FieldError]:
    errors = check_model(model) + check_hyperparameters(method, hyperparameters)
    if suffix is not None and not 1 <= len(suffix) <= 64:
        errors.append(
            FieldError("invalid_suffix", "suffix must be 1..64 characters", path="/suffix")
        )
    if seed is not None and not 0 <= seed <= MAX_SEED:
        errors.append(FieldError("invalid_seed", f"seed must be 0..{MAX_SEED}", path="/seed"))
    return errors + check_metadata(metadata)


def check_metadata(metadata: Mapping[str, str]) -> list[FieldError]:
    errors = []
    if len(metadata) > MAX_METADATA_PAIRS:
        message = f"at most {MAX_METADATA_PAIRS} metadata pairs"
        errors.append(FieldError("too_much_metadata", message, path="/metadata"))
    for key, value in metadata.items():
        path = pointer("metadata", key)
        if key == METADATA_KEY:
            errors.append(FieldError("reserved_metadata_key", f"{key} is reserved", path=path))
        elif not 1 <= len(key) <= 64 or len(value) > 512:
            message = "metadata keys are 1..64 characters, values at most 512"
            errors.append(FieldError("invalid_metadata", message, path=path))
    return errors
