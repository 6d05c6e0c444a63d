"""What a job request must satisfy before anything is written, whatever its provider (pure)."""

from __future__ import annotations

from collections.abc import Mapping

from service.errors import FieldError, pointer
from service.providers.base import OUR_ID_METADATA_KEY
from service.providers.registry import SuffixLimit

METADATA_KEY = OUR_ID_METADATA_KEY  # reserved: providers that keep metadata hold our id there
MAX_METADATA_PAIRS = 15  # OpenAI allows 16; one is ours.
MAX_SEED = 2**31 - 1
ANY_SUFFIX = SuffixLimit()


def check_request(
    *,
    suffix: str | None,
    seed: int | None,
    metadata: Mapping[str, str],
    suffix_limit: SuffixLimit = ANY_SUFFIX,
) -> list[FieldError]:
    """What every job request must satisfy, whatever its provider (whose own rules, models and
    hyperparameters are `providers.registry.check_job`'s)."""
    errors = []
    if suffix is not None and not suffix_limit.admits(suffix):
        message = f"suffix must be {suffix_limit.describe()}"
        errors.append(FieldError("invalid_suffix", message, path="/suffix"))
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
