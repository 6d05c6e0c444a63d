"""The models the emulated account can fine-tune, each with its limits (as
`GET /fine-tunes/models/limits` answers them) and its price per million training tokens.

A handful of plausible open-weight models with distinct limits, one without full training
(`openai/gpt-oss-20b`); the real list changes often, which is why the SDK asks for the limits
before every create. The numbers are the emulator's, not Together's price list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.emulators.errors import APIError

LORA_MODULES = ("k_proj", "o_proj", "q_proj", "v_proj", "up_proj", "down_proj", "gate_proj")


@dataclass(frozen=True)
class BatchLimits:
    min_batch_size: int
    max_batch_size: int
    max_batch_size_dpo: int


@dataclass(frozen=True)
class ModelSpec:
    name: str
    lora: BatchLimits
    full: BatchLimits | None  # None: LoRA only
    default_rank: int
    max_rank: int
    max_seq_length_sft: int
    max_seq_length_dpo: int
    max_learning_rate: float
    max_num_epochs: int = 20
    max_num_checkpoints: int = 20
    max_num_evals: int = 100
    min_learning_rate: float = 0.0
    min_max_seq_length: int = 512
    param_count: int = 8_000_000_000
    lora_price_per_million: float = 0.48  # dollars per million tokens, LoRA
    full_price_per_million: float = 0.54
    supports_tools: bool = True
    supports_reasoning: bool = False

    def batch_limits(self, training: str) -> BatchLimits | None:
        """The batch limits of "Lora" or "Full" training; None where it is not offered."""
        return self.lora if training == "Lora" else self.full

    def price_per_million(self, training: str) -> float:
        return self.lora_price_per_million if training == "Lora" else self.full_price_per_million


CATALOGUE: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
            lora=BatchLimits(8, 64, 32),
            full=BatchLimits(8, 32, 16),
            default_rank=64,
            max_rank=64,
            max_seq_length_sft=131072,
            max_seq_length_dpo=65536,
            max_learning_rate=1.0,
        ),
        ModelSpec(
            name="meta-llama/Meta-Llama-3.1-70B-Instruct-Reference",
            lora=BatchLimits(8, 32, 16),
            full=BatchLimits(32, 32, 16),
            default_rank=64,
            max_rank=64,
            max_seq_length_sft=65536,
            max_seq_length_dpo=32768,
            max_learning_rate=1.0,
            max_num_epochs=10,
            param_count=70_000_000_000,
            lora_price_per_million=2.9,
            full_price_per_million=3.2,
        ),
        ModelSpec(
            name="Qwen/Qwen3-8B",
            lora=BatchLimits(8, 64, 32),
            full=BatchLimits(8, 48, 24),
            default_rank=64,
            max_rank=128,
            max_seq_length_sft=32768,
            max_seq_length_dpo=16384,
            max_learning_rate=0.01,
            supports_reasoning=True,
        ),
        ModelSpec(
            name="openai/gpt-oss-20b",
            lora=BatchLimits(8, 32, 16),
            full=None,
            default_rank=16,
            max_rank=64,
            max_seq_length_sft=16384,
            max_seq_length_dpo=8192,
            max_learning_rate=0.001,
            max_num_checkpoints=10,
            max_num_evals=50,
            param_count=21_000_000_000,
            lora_price_per_million=1.5,
            supports_reasoning=True,
        ),
        ModelSpec(
            name="google/gemma-3-4b-it",
            lora=BatchLimits(8, 128, 64),
            full=BatchLimits(8, 64, 32),
            default_rank=32,
            max_rank=64,
            max_seq_length_sft=32768,
            max_seq_length_dpo=16384,
            max_learning_rate=0.1,
            param_count=4_000_000_000,
            lora_price_per_million=0.32,
            full_price_per_million=0.4,
            supports_tools=False,
        ),
    )
}


def not_supported(model: str) -> str:
    return (
        f"Model {model} is not supported for fine-tuning. See the list of supported models at "
        "https://docs.together.ai/docs/fine-tuning-models"
    )


class ModelNotFoundError(APIError):
    """`GET /fine-tunes/models/limits` for a model it does not know: a 404 whose body is a bare
    `{"message": ...}` (Together's spec for this route), not the error envelope."""

    def __init__(self, model: str) -> None:
        super().__init__(404, not_supported(model), param="model_name", code="model_not_found")

    def body(self) -> dict[str, Any]:
        return {"message": self.message}


def find_model(model: str) -> ModelSpec | None:
    return CATALOGUE.get(model)


def limits_json(spec: ModelSpec) -> dict[str, Any]:
    """`FinetuneModelLimits` as the SDK reads it."""
    full = spec.full
    return {
        "model_name": spec.name,
        "default_gradient_accumulation_steps": 1,
        "lora_training": {
            "default_rank": spec.default_rank,
            "max_rank": spec.max_rank,
            "min_batch_size": spec.lora.min_batch_size,
            "max_batch_size": spec.lora.max_batch_size,
            "max_batch_size_dpo": spec.lora.max_batch_size_dpo,
            "target_modules": list(LORA_MODULES),
        },
        "full_training": None
        if full is None
        else {
            "min_batch_size": full.min_batch_size,
            "max_batch_size": full.max_batch_size,
            "max_batch_size_dpo": full.max_batch_size_dpo,
        },
        "supports_full_training": full is not None,
        "max_learning_rate": spec.max_learning_rate,
        "min_learning_rate": spec.min_learning_rate,
        "max_num_checkpoints": spec.max_num_checkpoints,
        "max_num_epochs": spec.max_num_epochs,
        "max_num_evals": spec.max_num_evals,
        "max_seq_length_sft": spec.max_seq_length_sft,
        "max_seq_length_dpo": spec.max_seq_length_dpo,
        "min_max_seq_length": spec.min_max_seq_length,
        "merge_output_lora": True,
        "supports_vision": False,
        "supports_tools": spec.supports_tools,
        "supports_reasoning": spec.supports_reasoning,
    }
