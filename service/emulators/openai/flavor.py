"""OpenAI's flavor of the OpenAI-compatible world: its models, `ft:` names, and the switch that
answers every job create with `training_not_available` (OpenAI winding fine-tuning down)."""

from __future__ import annotations

from service.emulators.config import RuntimeSettings
from service.emulators.errors import APIError
from service.emulators.openai.ids import OpenAIIds
from service.emulators.openai_compat.flavor import SFT, SFT_DPO, Flavor

# fine-tunable models and the methods each takes; `ft:` models inherit their base's methods
MODELS: dict[str, frozenset[str]] = {
    "gpt-4.1-2025-04-14": SFT_DPO,
    "gpt-4.1-mini-2025-04-14": SFT_DPO,
    "gpt-4.1-nano-2025-04-14": SFT_DPO,
    "gpt-4.1": SFT_DPO,
    "gpt-4.1-mini": SFT_DPO,
    "gpt-4.1-nano": SFT_DPO,
    "gpt-4o-2024-08-06": SFT_DPO,
    "gpt-4o-mini-2024-07-18": SFT_DPO,
    "gpt-4o-mini": SFT_DPO,
    "gpt-3.5-turbo": SFT,
    "gpt-3.5-turbo-0125": SFT,
    "gpt-3.5-turbo-1106": SFT,
    "gpt-3.5-turbo-0613": SFT,
    "babbage-002": SFT,
    "davinci-002": SFT,
}
NOT_AVAILABLE = (
    "OpenAI is winding down the fine-tuning platform and your organization is no longer able to "
    "create new fine-tuning training jobs."
)


def fine_tuned_name(base: str, suffix: str | None, org: str, tag: str) -> str:
    """`ft:<base>:<org>:<suffix>:<tag>`, the suffix slot empty when none was given."""
    return f"ft:{base}:{org}:{suffix or ''}:{tag}"


def base_model(model: str) -> str:
    """`ft:<base>:…` (a fine-tuned model or one of its checkpoints) -> `<base>`."""
    return model.split(":")[1] if model.startswith("ft:") else model


def refuse_create(settings: RuntimeSettings) -> APIError | None:
    if settings.training_not_available:
        return APIError(403, NOT_AVAILABLE, code="training_not_available")
    return None


OPENAI = Flavor(
    ids=OpenAIIds,
    models=MODELS,
    fine_tuned_name=fine_tuned_name,
    base_model=base_model,
    refuse_create=refuse_create,
)
