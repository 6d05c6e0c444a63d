"""`POST /fine-tunes` and `POST /fine-tunes/estimate-price` bodies: what Together refuses with a
400 before a job exists (the data itself is checked when the job starts).

The checks are the server's side of what the SDK's `create_finetune_request` checks against the
model's limits, so a client that skips the SDK (or sends a stale limit) meets the same refusals:
the model, from_checkpoint, the training method and type, batch size, learning rate, epochs,
checkpoints, evaluations (which need a validation file), suffix and the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.emulators.errors import APIError
from service.emulators.together.errors import invalid
from service.emulators.together.models import ModelSpec, find_model, not_supported
from service.emulators.together.records import JobRecord

MAX_SUFFIX = 40
DPO_DEFAULTS: dict[str, Any] = {
    "dpo_beta": 0.1,
    "rpo_alpha": 0.0,
    "simpo_gamma": 0.0,
    "dpo_normalize_logratios_by_length": False,
    "dpo_reference_free": False,
}
# accepted and echoed back as sent (wandb_key never: it is a secret)
ECHOED = (
    "packing",
    "max_seq_length",
    "lr_scheduler",
    "warmup_ratio",
    "max_grad_norm",
    "weight_decay",
    "wandb_base_url",
    "wandb_project_name",
    "wandb_name",
    "wandb_entity",
    "from_hf_model",
    "hf_model_revision",
    "hf_output_repo_name",
    "multimodal_params",
    "gradient_accumulation_steps",
    "early_stopping_enabled",
    "early_stopping_patience",
    "early_stopping_min_delta",
    "early_stopping_warmup_evals",
)


@dataclass
class JobParams:
    """A create (or estimate) request, checked; `parent` is the job `from_checkpoint` names."""

    spec: ModelSpec
    training_file: str
    validation_file: str | None
    method: str
    training_method: dict[str, Any]
    training_type: dict[str, Any]
    n_epochs: int
    n_checkpoints: int
    n_evals: int
    batch_size: int
    learning_rate: float
    suffix: str | None
    random_seed: int | None
    from_checkpoint: str | None
    parent: JobRecord | None
    settings: dict[str, Any] = field(default_factory=dict)


def parse_job(body: dict[str, Any], find_parent: Any) -> JobParams:
    """Check a create body; `find_parent(reference)` finds the job `from_checkpoint` names."""
    training_file = body.get("training_file")
    if not isinstance(training_file, str) or not training_file:
        raise invalid("training_file is required.", param="training_file")
    validation_file = body.get("validation_file") or None  # the SDK sends "" for none
    if validation_file is not None and not isinstance(validation_file, str):
        raise invalid("validation_file must be a file id.", param="validation_file")
    spec, parent, from_checkpoint = _base(body, find_parent)
    method, training_method = _training_method(body)
    training_type = _training_type(body.get("training_type"), spec, parent)
    n_evals = _integer(body, "n_evals", 0, 0, spec.max_num_evals)
    if n_evals > 0 and validation_file is None:
        raise invalid("n_evals > 0 requires a validation_file.", param="n_evals")
    params = JobParams(
        spec=spec,
        training_file=training_file,
        validation_file=validation_file,
        method=method,
        training_method=training_method,
        training_type=training_type,
        n_epochs=_integer(body, "n_epochs", 1, 1, spec.max_num_epochs),
        n_checkpoints=_integer(body, "n_checkpoints", 1, 1, spec.max_num_checkpoints),
        n_evals=n_evals,
        batch_size=_batch_size(body.get("batch_size", "max"), spec, method, training_type),
        learning_rate=_learning_rate(body.get("learning_rate", 1e-5), spec),
        suffix=_suffix(body.get("suffix")),
        random_seed=_seed(body.get("random_seed")),
        from_checkpoint=from_checkpoint,
        parent=parent,
        settings={key: body[key] for key in ECHOED if body.get(key) is not None},
    )
    _check_ranges(body, spec, method, validation_file, n_evals)
    return params


def _base(body: dict[str, Any], find_parent: Any) -> tuple[ModelSpec, JobRecord | None, str | None]:
    """The model to train: `model`, or the one the job `from_checkpoint` names was trained on."""
    model = body.get("model")
    reference = body.get("from_checkpoint")
    if model and reference:
        raise invalid(
            "Specify either a model or a checkpoint to start a job from, not both.",
            param="from_checkpoint",
        )
    if reference:
        if not isinstance(reference, str):
            raise invalid("from_checkpoint must be a string.", param="from_checkpoint")
        parent = _parent(reference, find_parent)
        return _model(parent.model), parent, reference
    if not model:
        raise invalid("model is required (or from_checkpoint).", param="model")
    if not isinstance(model, str):
        raise invalid("model must be a string.", param="model")
    return _model(model), None, None


def _model(name: str) -> ModelSpec:
    spec = find_model(name)
    if spec is None:
        raise invalid(not_supported(name), param="model", code="model_not_supported")
    return spec


def _parent(reference: str, find_parent: Any) -> JobRecord:
    """`{job id or output model name}[:step]`: a completed job, and one of its checkpoints."""
    name, _, step = reference.partition(":")
    parent: JobRecord | None = find_parent(name)
    if parent is None or parent.status != "completed":
        raise invalid(
            f"Checkpoint {reference} was not found: {name} is not a completed fine-tuning job "
            "of this account.",
            param="from_checkpoint",
        )
    if step and not any(str(checkpoint.step) == step for checkpoint in parent.checkpoints):
        steps = ", ".join(str(checkpoint.step) for checkpoint in parent.checkpoints)
        raise invalid(
            f"Job {parent.id} has no checkpoint at step {step} (its steps: {steps}).",
            param="from_checkpoint",
        )
    return parent


def _training_method(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    raw = body.get("training_method") or {"method": "sft"}
    if not isinstance(raw, dict) or raw.get("method") not in ("sft", "dpo"):
        raise invalid("training_method.method must be 'sft' or 'dpo'.", param="training_method")
    if raw["method"] == "sft":
        train_on_inputs = raw.get("train_on_inputs", body.get("train_on_inputs", "auto"))
        if train_on_inputs not in (True, False, "auto"):
            raise invalid("train_on_inputs must be true, false or 'auto'.", param="train_on_inputs")
        return "sft", {"method": "sft", "train_on_inputs": train_on_inputs}
    if "train_on_inputs" in raw or body.get("train_on_inputs") is not None:
        raise invalid(
            "train_on_inputs is only supported for SFT training.", param="train_on_inputs"
        )
    method = {
        key: raw.get(key) if raw.get(key) is not None else default
        for key, default in DPO_DEFAULTS.items()
    }
    for key in ("dpo_beta", "rpo_alpha", "simpo_gamma"):
        value = method[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise invalid(f"{key} must be a non-negative number.", param=f"training_method.{key}")
    return "dpo", {"method": "dpo", **method}


def _training_type(raw: Any, spec: ModelSpec, parent: JobRecord | None) -> dict[str, Any]:
    """LoRA unless said otherwise (or the parent job's type, from a checkpoint)."""
    if raw is None:
        if parent is not None:
            return dict(parent.training_type)
        return _lora({}, spec)
    if not isinstance(raw, dict) or raw.get("type") not in ("Lora", "Full"):
        raise invalid("training_type.type must be 'Lora' or 'Full'.", param="training_type")
    if raw["type"] == "Full":
        if spec.full is None:
            raise invalid(
                f"Full training is not supported for the selected model ({spec.name}).",
                param="training_type",
            )
        return {"type": "Full"}
    return _lora(raw, spec)


def _lora(raw: dict[str, Any], spec: ModelSpec) -> dict[str, Any]:
    rank = raw.get("lora_r", spec.default_rank)
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= spec.max_rank:
        raise invalid(
            f"lora_r must be an integer between 1 and {spec.max_rank} for {spec.name}.",
            param="training_type.lora_r",
        )
    alpha = raw.get("lora_alpha", rank * 2)
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or alpha <= 0:
        raise invalid("lora_alpha must be a positive number.", param="training_type.lora_alpha")
    dropout = raw.get("lora_dropout", 0.0)
    if isinstance(dropout, bool) or not isinstance(dropout, int | float) or not 0 <= dropout < 1:
        raise invalid("lora_dropout must be in [0, 1).", param="training_type.lora_dropout")
    modules = raw.get("lora_trainable_modules", "all-linear")
    if not isinstance(modules, str) or not modules:
        raise invalid(
            "lora_trainable_modules must be 'all-linear' or a comma-separated list of modules.",
            param="training_type.lora_trainable_modules",
        )
    return {
        "type": "Lora",
        "lora_r": rank,
        "lora_alpha": int(alpha),
        "lora_dropout": float(dropout),
        "lora_trainable_modules": modules,
    }


def _integer(body: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid(f"{name} must be an integer between {low} and {high}.", param=name)
    return value


def _batch_size(value: Any, spec: ModelSpec, method: str, training_type: dict[str, Any]) -> int:
    """An integer within the model's limits for the method and training type; "max" is the
    largest of them (the job answers the number from its creation on)."""
    limits = spec.batch_limits(training_type["type"])
    assert limits is not None  # _training_type refused what the model does not offer
    high = limits.max_batch_size_dpo if method == "dpo" else limits.max_batch_size
    if value == "max":
        return high
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid("batch_size must be an integer or 'max'.", param="batch_size")
    if value > high:
        raise invalid(
            f"Requested batch size of {value} is higher than the maximum allowed value of "
            f"{high} for {method} {training_type['type']} training of {spec.name}.",
            param="batch_size",
        )
    if value < limits.min_batch_size:
        raise invalid(
            f"Requested batch size of {value} is lower than the minimum allowed value of "
            f"{limits.min_batch_size}.",
            param="batch_size",
        )
    return value


def _learning_rate(value: Any, spec: ModelSpec) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid("learning_rate must be a number.", param="learning_rate")
    if not spec.min_learning_rate < value <= spec.max_learning_rate:
        raise invalid(
            f"learning_rate must be greater than {spec.min_learning_rate:g} and at most "
            f"{spec.max_learning_rate:g} for {spec.name} (got {value:g}).",
            param="learning_rate",
        )
    return float(value)


def _suffix(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid("suffix must be a string.", param="suffix")
    if len(value) > MAX_SUFFIX:
        raise invalid(
            f"suffix must be at most {MAX_SUFFIX} characters (got {len(value)}).", param="suffix"
        )
    return value


def _seed(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid("random_seed must be an integer.", param="random_seed")
    return value


def _check_ranges(
    body: dict[str, Any], spec: ModelSpec, method: str, validation_file: str | None, n_evals: int
) -> None:
    """The optional knobs: ratios in [0, 1], norms and decay non-negative, the sequence length
    within the model's limit, early stopping with enough evaluations to act on."""
    for name in ("warmup_ratio",):
        value = body.get(name)
        if value is not None and not _number_in(value, 0.0, 1.0):
            raise invalid(f"{name} must be between 0 and 1.", param=name)
    for name in ("max_grad_norm", "weight_decay"):
        value = body.get(name)
        if value is not None and not _number_in(value, 0.0, float("inf")):
            raise invalid(f"{name} must be non-negative.", param=name)
    length = body.get("max_seq_length")
    high = spec.max_seq_length_dpo if method == "dpo" else spec.max_seq_length_sft
    if length is not None and not _number_in(length, spec.min_max_seq_length, high):
        raise invalid(
            f"max_seq_length must be between {spec.min_max_seq_length} and {high} for {method} "
            f"training of {spec.name}.",
            param="max_seq_length",
        )
    _check_scheduler(body.get("lr_scheduler"))
    _check_early_stopping(body, validation_file, n_evals)


def _check_scheduler(scheduler: Any) -> None:
    """`{lr_scheduler_type: linear|cosine, lr_scheduler_args: {min_lr_ratio, num_cycles}}`."""
    if scheduler is None:
        return
    if not isinstance(scheduler, dict) or scheduler.get("lr_scheduler_type") not in (
        "linear",
        "cosine",
    ):
        raise invalid(
            "lr_scheduler.lr_scheduler_type must be 'linear' or 'cosine'.", param="lr_scheduler"
        )
    arguments = scheduler.get("lr_scheduler_args")
    arguments = {} if arguments is None else arguments
    if not isinstance(arguments, dict):
        raise invalid("lr_scheduler.lr_scheduler_args must be an object.", param="lr_scheduler")
    ratio = arguments.get("min_lr_ratio")
    if ratio is not None and not _number_in(ratio, 0.0, 1.0):
        raise invalid(
            "min_lr_ratio must be between 0 and 1.", param="lr_scheduler.lr_scheduler_args"
        )
    cycles = arguments.get("num_cycles")
    if cycles is not None and not (_number_in(cycles, 0.0, float("inf")) and cycles > 0):
        raise invalid("num_cycles must be greater than 0.", param="lr_scheduler.lr_scheduler_args")


def _check_early_stopping(body: dict[str, Any], validation_file: str | None, n_evals: int) -> None:
    """Early stopping needs a validation file and enough evaluations: a baseline, the warm-up
    evaluations, then `patience` ones without improvement (Together's defaults: 2 and 1)."""
    if not body.get("early_stopping_enabled"):
        return
    patience = _optional_integer(body, "early_stopping_patience", low=1)
    warmup = _optional_integer(body, "early_stopping_warmup_evals", low=0)
    delta = body.get("early_stopping_min_delta")
    if delta is not None and not _number_in(delta, 0.0, float("inf")):
        raise invalid("early_stopping_min_delta must be >= 0.", param="early_stopping_min_delta")
    needed = (2 if patience is None else patience) + (1 if warmup is None else warmup) + 1
    if validation_file is None or n_evals < needed:
        raise invalid(
            f"Early stopping requires a validation_file and n_evals >= {needed}.",
            param="early_stopping_enabled",
        )


def _optional_integer(body: dict[str, Any], name: str, *, low: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise invalid(f"{name} must be an integer >= {low}.", param=name)
    return value


def _number_in(value: Any, low: float, high: float) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and low <= value <= high


def file_param_error(param: str, file_id: str, reason: str) -> APIError:
    """An unusable training or validation file, named by its parameter."""
    return invalid(f"Invalid {param} {file_id}: {reason}.", param=param, code="invalid_file")
