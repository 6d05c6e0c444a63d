"""What tells one provider's copy of the OpenAI-compatible API from another's.

OpenAI and Azure OpenAI serve the same files and fine-tuning wire API; they differ in the models
they tune, how ids and fine-tuned models are spelled, the fields they add to a job, and whether a
job keeps its metadata. A `Flavor` is that difference, as data and small functions; each provider
package defines its own and builds a world (`state.Emulator`) with it. Where the API lives, its
key check and how its faults read are the provider's `Mount`, not the flavor.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from service.emulators.config import RuntimeSettings
from service.emulators.errors import APIError
from service.emulators.openai_compat.dataset_rules import OutputRule
from service.emulators.openai_compat.ids import CompatIds

SFT = frozenset({"supervised"})
SFT_DPO = frozenset({"supervised", "dpo"})

# (base model, suffix, org, random tag) -> the fine-tuned model's name
NameModel: TypeAlias = Callable[[str, str | None, str, str], str]
# a job-create field of the flavor's own: the raw JSON value (None when absent) -> what the job
# keeps and returns under the same name; raise an APIError (a 400 naming it) when it is bad
ParseField: TypeAlias = Callable[[Any], Any]
# a refusal of every job create, decided by the run-time knobs (None: go ahead)
RefuseCreate: TypeAlias = Callable[[RuntimeSettings], APIError | None]


def _never_refuse(_: RuntimeSettings) -> None:
    return None


@dataclass(frozen=True)
class Flavor:
    """One provider's spelling of the OpenAI-compatible world."""

    ids: Callable[[random.Random], CompatIds]
    # the base models it tunes and the methods each takes; fine-tuned ones inherit their base's
    models: Mapping[str, frozenset[str]]
    fine_tuned_name: NameModel
    # the base model of one of its fine-tuned models or checkpoints; a base model is its own
    base_model: Callable[[str], str]
    keeps_metadata: bool = True  # False: `metadata` is accepted, then dropped (null on the job)
    extra_fields: Mapping[str, ParseField] = field(default_factory=dict)
    refuse_create: RefuseCreate = _never_refuse
    # what a DPO example's outputs may hold (the file check while validating_files)
    dpo_outputs: OutputRule = "one_assistant"
