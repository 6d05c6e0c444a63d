"""Synchronous checks of a job-create body (reference §3.2, §8): a 400 naming `param` each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.emulators.errors import APIError, bad_request, missing_parameter
from service.emulators.openai_compat.flavor import SFT_DPO, Flavor
from service.emulators.openai_compat.ids import MAX_SEED
from service.emulators.openai_compat.records import Hyperparameters

METHODS = ("supervised", "dpo", "reinforcement")
COMMON_KEYS = ("batch_size", "learning_rate_multiplier", "n_epochs")
HYPERPARAMETER_KEYS = {
    "supervised": COMMON_KEYS,
    "dpo": (*COMMON_KEYS, "beta"),
    "reinforcement": COMMON_KEYS,
}
BODY_KEYS = frozenset(
    {"model", "training_file", "validation_file", "hyperparameters", "integrations", "metadata"}
    | {"method", "seed", "suffix"}
)


@dataclass(frozen=True)
class CreateRequest:
    model: str
    training_file: str
    validation_file: str | None
    method: str
    hyperparameters: Hyperparameters  # every key of the method present, "auto" where not given
    suffix: str | None
    seed: int | None
    metadata: dict[str, str] | None
    integrations: list[dict[str, Any]] | None
    extra: dict[str, Any]  # the flavor's own fields, parsed


def parse_create(
    body: dict[str, Any], *, flavor: Flavor, produced_models: set[str]
) -> CreateRequest:
    """Validate a create body; the referenced files are checked by the caller (it owns them)."""
    unknown = sorted(set(body) - BODY_KEYS - set(flavor.extra_fields))
    if unknown:
        raise bad_request(f"Unrecognized request argument supplied: {unknown[0]}", param=unknown[0])
    model = _required_string(body, "model")
    training_file = _required_string(body, "training_file")
    validation_file = _optional_string(body, "validation_file")
    method, hyperparameters = _method(body)
    _check_model(model, method, flavor, produced_models)
    return CreateRequest(
        model=model,
        training_file=training_file,
        validation_file=validation_file,
        method=method,
        hyperparameters=hyperparameters,
        suffix=_suffix(body.get("suffix")),
        seed=_seed(body.get("seed")),
        metadata=_metadata(body.get("metadata")),
        integrations=_integrations(body.get("integrations")),
        extra={name: parse(body.get(name)) for name, parse in flavor.extra_fields.items()},
    )


def _required_string(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None or value == "":
        raise missing_parameter(name)
    if not isinstance(value, str):
        raise invalid_value(name, "expected a string")
    return value


def _optional_string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid_value(name, "expected a string")
    return value


def invalid_value(param: str, reason: str) -> APIError:
    return bad_request(f"Invalid value for '{param}': {reason}.", param=param, code="invalid_value")


def _check_model(model: str, method: str, flavor: Flavor, produced_models: set[str]) -> None:
    """A base model the flavor tunes, or a model this world fine-tuned from one (its methods)."""
    if model in produced_models:
        methods = flavor.models.get(flavor.base_model(model), SFT_DPO)
    elif model in flavor.models:
        methods = flavor.models[model]
    else:
        raise bad_request(
            f"Model {model} is not available for fine-tuning or does not exist.",
            param="model",
            code="model_not_available",
        )
    if method not in methods:
        raise bad_request(
            f"Model {model} does not support the '{method}' fine-tuning method.",
            param="method.type",
            code="invalid_value",
        )


def _method(body: dict[str, Any]) -> tuple[str, Hyperparameters]:
    method = body.get("method")
    legacy = body.get("hyperparameters")
    if method is None:
        return "supervised", _hyperparameters(legacy, "supervised", "hyperparameters")
    if not isinstance(method, dict):
        raise invalid_value("method", "expected an object")
    kind = method.get("type")
    if kind not in METHODS:
        raise invalid_value("method.type", f"must be one of {', '.join(METHODS)}")
    if legacy is not None and kind != "supervised":
        raise bad_request(
            f"'hyperparameters' is only supported for the supervised method; "
            f"use method.{kind}.hyperparameters.",
            param="hyperparameters",
        )
    config = method.get(kind) or {}
    if not isinstance(config, dict):
        raise invalid_value(f"method.{kind}", "expected an object")
    requested = config.get("hyperparameters")
    where = f"method.{kind}.hyperparameters"
    if requested is None and legacy is not None:
        requested, where = legacy, "hyperparameters"
    return kind, _hyperparameters(requested, kind, where)


def _hyperparameters(requested: Any, method: str, where: str) -> Hyperparameters:
    if requested is None:
        requested = {}
    if not isinstance(requested, dict):
        raise invalid_value(where, "expected an object")
    keys = HYPERPARAMETER_KEYS[method]
    unknown = sorted(set(requested) - set(keys))
    if unknown:
        raise bad_request(
            f"Unrecognized hyperparameter: {unknown[0]}", param=f"{where}.{unknown[0]}"
        )
    result: Hyperparameters = {}
    for key in keys:
        value = requested.get(key, "auto")
        _check_hyperparameter(key, value, f"{where}.{key}")
        result[key] = value
    return result


def _check_hyperparameter(key: str, value: Any, param: str) -> None:
    if value == "auto":
        return
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if key in ("batch_size", "n_epochs"):
        high = 256 if key == "batch_size" else 50
        if not is_number or value != int(value) or not 1 <= value <= high:
            raise invalid_value(param, f"must be 'auto' or an integer between 1 and {high}")
    elif key == "beta":
        if not is_number or not 0 < value <= 2:
            raise invalid_value(param, "must be 'auto' or a number greater than 0 and at most 2")
    elif not is_number or value <= 0:
        raise invalid_value(param, "must be 'auto' or a number greater than 0")


def _suffix(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise invalid_value("suffix", "must be a string of 1 to 64 characters")
    return value


def _seed(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise invalid_value("seed", f"must be an integer between 0 and {MAX_SEED}")
    return value


def _metadata(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) > 16:
        raise invalid_value("metadata", "must be an object with at most 16 pairs")
    for key, item in value.items():
        if len(key) > 64:
            raise invalid_value("metadata", f"key {key[:20]!r}... is longer than 64 characters")
        if not isinstance(item, str) or len(item) > 512:
            raise invalid_value(
                "metadata", f"value of {key!r} must be a string of at most 512 characters"
            )
    return dict(value)


def _integrations(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 5:
        raise invalid_value("integrations", "must be a list of at most 5 integrations")
    for item in value:
        wandb = item.get("wandb") if isinstance(item, dict) else None
        if not isinstance(wandb, dict) or item.get("type") != "wandb" or "project" not in wandb:
            raise invalid_value(
                "integrations", "only {type: 'wandb', wandb: {project, ...}} is supported"
            )
    return list(value)
