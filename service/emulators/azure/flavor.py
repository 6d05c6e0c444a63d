"""Azure's flavor of the OpenAI-compatible world: the models an Azure resource tunes,
`<base>.ft-<32 hex>` names, `trainingType`, and `metadata` accepted but never kept.

Azure does not document job metadata; the emulator takes the cautious reading (the field is
accepted, jobs answer `metadata: null` and the list's `metadata[...]` filter matches nothing), so
the service finds its Azure jobs by training file, model and `seed`, which are kept as given.
"""

from __future__ import annotations

from service.emulators.azure.ids import AzureIds
from service.emulators.azure.training_type import FIELD, parse_training_type
from service.emulators.openai_compat.flavor import SFT, SFT_DPO, Flavor

# the base models Azure fine-tunes and the methods each takes; fine-tuned ones inherit them
MODELS: dict[str, frozenset[str]] = {
    "gpt-4.1-2025-04-14": SFT_DPO,
    "gpt-4.1-mini-2025-04-14": SFT_DPO,
    "gpt-4o-2024-08-06": SFT_DPO,
    "gpt-4.1-nano-2025-04-14": SFT,
    "gpt-4o-mini-2024-07-18": SFT,
}
MARK = ".ft-"


def fine_tuned_name(base: str, suffix: str | None, org: str, tag: str) -> str:
    """`<base>.ft-<tag>`: Azure names neither the suffix nor an organization."""
    return f"{base}{MARK}{tag}"


def base_model(model: str) -> str:
    """`<base>.ft-<tag>` (or one of its `:ckpt-step-N` checkpoints) -> `<base>`."""
    return model.split(MARK, 1)[0]


AZURE = Flavor(
    ids=AzureIds,
    models=MODELS,
    fine_tuned_name=fine_tuned_name,
    base_model=base_model,
    keeps_metadata=False,
    extra_fields={FIELD: parse_training_type},
    # Azure documents outputs of one or more assistant or tool messages
    dpo_outputs="assistant_and_tool",
)
