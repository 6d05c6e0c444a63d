"""A model's fine-tuning limits as its provider states them, and what they say about a job
(pure).

Together answers per model: the largest batch per method and training type, the longest
sequence per method, the learning-rate range, the most epochs, checkpoints and evaluations, the
largest LoRA rank, and whether full training is offered. A job is checked against them before
anything is written (from the list the scheduler keeps, `provider_models`) and again by the
worker right before the create (from the provider itself), so a violation is a 422 naming the
field, or a job failed before anything was spent, never a job the provider refuses later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from service.errors import FieldError, pointer

Method = Literal["dpo", "sft"]


@dataclass(frozen=True)
class BatchLimits:
    """Examples per batch for one training type (LoRA or full)."""

    min_batch_size: int
    max_batch_size: int  # SFT
    max_batch_size_dpo: int

    def most(self, method: Method) -> int:
        return self.max_batch_size_dpo if method == "dpo" else self.max_batch_size


@dataclass(frozen=True)
class ModelLimits:
    model: str
    max_seq_length_dpo: int
    max_seq_length_sft: int
    min_learning_rate: float
    max_learning_rate: float
    max_num_epochs: int
    max_num_checkpoints: int
    max_num_evals: int
    lora: BatchLimits
    lora_max_rank: int
    full: BatchLimits | None  # None: LoRA only
    methods: tuple[Method, ...] = ("dpo", "sft")

    def max_seq_length(self, method: Method) -> int:
        return self.max_seq_length_dpo if method == "dpo" else self.max_seq_length_sft

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"methods": list(self.methods)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelLimits:
        full = data.get("full")
        return cls(
            **{
                key: value
                for key, value in data.items()
                if key not in ("lora", "full", "methods") and key in cls.__dataclass_fields__
            },
            lora=BatchLimits(**data["lora"]),
            full=BatchLimits(**full) if full else None,
            methods=tuple(data.get("methods") or ("dpo", "sft")),
        )


_WORDS = {"dpo": "DPO", "sft": "SFT"}


def check_limits(
    limits: ModelLimits, method: Method, hyperparameters: Mapping[str, Any]
) -> list[FieldError]:
    """What `limits` say about a job's hyperparameters; [] when the model takes them.
    Values of the wrong type are the registry's to report (`check_hyperparameters`)."""
    model = limits.model
    full = hyperparameters.get("training_type") == "full"
    errors: list[FieldError] = []

    def refuse(name: str, message: str) -> None:
        errors.append(FieldError("model_limit", message, path=pointer("hyperparameters", name)))

    if method not in limits.methods:
        return [
            FieldError("unsupported_model", f"{model} is not tuned with {method}", path="/model")
        ]
    if full and limits.full is None:
        refuse("training_type", f"{model} takes LoRA training only, not full")
        return errors
    batches = limits.full if full and limits.full is not None else limits.lora
    kind = "full training" if full else "LoRA"
    batch = _number(hyperparameters.get("batch_size"))
    if batch is not None and batch > batches.most(method):
        refuse(
            "batch_size",
            f"{model} takes at most {batches.most(method)} examples per {_WORDS[method]} batch "
            f"with {kind}, got {batch:g}",
        )
    elif batch is not None and batch < batches.min_batch_size:
        refuse(
            "batch_size",
            f"{model} takes at least {batches.min_batch_size} examples per batch with {kind}, "
            f"got {batch:g}",
        )
    rate = _number(hyperparameters.get("learning_rate"))
    if rate is not None and not limits.min_learning_rate <= rate <= limits.max_learning_rate:
        refuse(
            "learning_rate",
            f"{model} takes a learning_rate of {limits.min_learning_rate:g} to "
            f"{limits.max_learning_rate:g}, got {rate:g}",
        )
    for name, most, what in (
        ("n_epochs", limits.max_num_epochs, "epochs"),
        ("n_checkpoints", limits.max_num_checkpoints, "checkpoints"),
        ("n_evals", limits.max_num_evals, "evaluations"),
    ):
        value = _number(hyperparameters.get(name))
        if value is not None and value > most:
            refuse(name, f"{model} takes at most {most} {what}, got {value:g}")
    rank = _number(hyperparameters.get("lora_r"))
    if rank is not None and not full and rank > limits.lora_max_rank:
        refuse(
            "lora_r", f"{model} takes a LoRA rank of at most {limits.lora_max_rank}, got {rank:g}"
        )
    return errors


def check_length(
    limits: ModelLimits,
    method: Method,
    longest: int | None,
    *,
    path: str,
    where: str,
    line: int | None = None,
) -> list[FieldError]:
    """The dataset's longest example (in tokens) against the model's sequence length."""
    most = limits.max_seq_length(method)
    if longest is None or longest <= most:
        return []
    message = (
        f"{where} has an example of {longest} tokens; {limits.model} trains {_WORDS[method]} on "
        f"at most {most} tokens per example"
    )
    return [FieldError("example_too_long", message, line=line, path=path)]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
