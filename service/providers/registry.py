"""What each provider is, as data (pure): its capabilities, its hyperparameters with their types,
ranges and defaults, the models it fine-tunes per method, and its known end dates.

A job request is checked against its provider's entry before anything is written: an unknown
hyperparameter, a value out of range, a model the provider does not tune, or a job past the
provider's end date is a 422 naming the field, instead of a 202 that fails later. End dates move
(providers announce, postpone, retire): `EndDates` are defaults an operator can override.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from service.errors import FieldError, pointer

Method = Literal["dpo", "sft"]
METHODS: tuple[Method, ...] = ("dpo", "sft")


@dataclass(frozen=True)
class Hyperparameter:
    name: str
    type: Literal["integer", "number", "string", "boolean"]
    description: str
    methods: tuple[Method, ...] = METHODS
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    choices: tuple[str, ...] = ()
    auto: bool = True  # "auto" lets the provider choose
    default: Any = "auto"
    # Words a number also may be (Together's batch_size "max": the largest the model takes).
    keywords: tuple[str, ...] = ()
    # Only with a validation dataset (Together's n_evals: evaluations need something to run on).
    needs_validation: bool = False

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.type == "boolean":
            return "true or false"
        kind = "an integer" if self.type == "integer" else "a number"
        bounds = []
        if self.minimum is not None:
            bounds.append(f"{'>' if self.exclusive_minimum else '>='} {self.minimum:g}")
        if self.maximum is not None:
            bounds.append(f"{'<' if self.exclusive_maximum else '<='} {self.maximum:g}")
        text = f"{kind} {' and '.join(bounds)}".strip()
        words = [f'"{word}"' for word in (("auto",) if self.auto else ()) + self.keywords]
        return f"{' or '.join(words)} or {text}" if words else text

    def admits(self, value: Any) -> bool:
        if self.auto and value == "auto":
            return True
        if isinstance(value, str) and value in self.keywords:
            return True
        if self.choices:
            return isinstance(value, str) and value in self.choices
        if self.type == "boolean":
            return isinstance(value, bool)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.type == "integer" and not float(value).is_integer():
            return False
        if self.minimum is not None:
            above = value > self.minimum if self.exclusive_minimum else value >= self.minimum
            if not above:
                return False
        if self.maximum is None:
            return True
        return value < self.maximum if self.exclusive_maximum else value <= self.maximum

    def is_set(self, value: Any) -> bool:
        """Whether `value` asks for something (n_evals 0 asks for no evaluation)."""
        return value not in (None, 0, False, "auto")


@dataclass(frozen=True)
class EndDates:
    """`no_new_jobs_from`: from that day on the provider creates no training job at all.
    `model_retirements`: from that day a base model (and jobs on it) is gone."""

    no_new_jobs_from: date | None = None
    model_retirements: Mapping[str, date] = field(default_factory=dict)
    note: str = ""

    def refusal(self, model: str, today: date) -> str | None:
        """Why a job on `model` cannot be created `today`; None when it can."""
        if self.no_new_jobs_from is not None and today >= self.no_new_jobs_from:
            return f"it creates no new training jobs since {self.no_new_jobs_from.isoformat()}"
        retired = self.model_retirements.get(model)
        if retired is not None and today >= retired:
            return f"{model} was retired on {retired.isoformat()}"
        return None

    def open_on(self, today: date) -> bool:
        return self.no_new_jobs_from is None or today < self.no_new_jobs_from


@dataclass(frozen=True)
class SuffixLimit:
    """How long a job's suffix may be and which characters it may hold (None: any)."""

    max_length: int = 64
    allowed: str | None = None
    allowed_described: str = ""

    def admits(self, suffix: str) -> bool:
        if not 1 <= len(suffix) <= self.max_length:
            return False
        return self.allowed is None or all(char in self.allowed for char in suffix)

    def describe(self) -> str:
        chars = f" of {self.allowed_described}" if self.allowed is not None else ""
        return f"1..{self.max_length} characters{chars}"


# Azure documents two limits for its suffix (40 characters of [a-zA-Z0-9-_] in the REST
# reference, 18 without dots in the Python guide): the stricter one holds for both.
_AZURE_SUFFIX = SuffixLimit(
    max_length=18,
    allowed=string.ascii_letters + string.digits + "-_",
    allowed_described="letters, digits, - and _",
)


@dataclass(frozen=True)
class Capabilities:
    methods: tuple[Method, ...]
    cancel: bool = True
    pause_resume: bool = False
    checkpoints: bool = True
    events: bool = True
    metrics: bool = True


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    title: str
    settings: tuple[str, ...]  # what must be set for the provider to be configured
    capabilities: Capabilities
    hyperparameters: tuple[Hyperparameter, ...]
    models: Mapping[Method, tuple[str, ...]]
    end_dates: EndDates
    suffix_limit: SuffixLimit = SuffixLimit()
    # How a model this provider fine-tuned is named, so it can be trained further.
    fine_tuned_prefix: str | None = None
    fine_tuned_infix: str | None = None
    # Hyperparameters other providers take that this one refuses, each with the reason and
    # what to use instead (a clearer answer than "unknown hyperparameter").
    refused: Mapping[str, str] = field(default_factory=dict)
    # The provider lists its models (and their limits) itself: `models` is only the fallback
    # until the list was read (`provider_models`).
    lists_models: bool = False

    def hyperparameters_for(self, method: Method) -> dict[str, Hyperparameter]:
        return {h.name: h for h in self.hyperparameters if method in h.methods}

    def tunes(self, method: Method, model: str) -> bool:
        if model in self.models.get(method, ()):
            return True
        if self.fine_tuned_prefix is not None and model.startswith(self.fine_tuned_prefix):
            return True
        return self.fine_tuned_infix is not None and self.fine_tuned_infix in model


# OpenAI's hyperparameters, also Azure's (which adds its training tier).
_OPENAI_HYPERPARAMETERS = (
    Hyperparameter("n_epochs", "integer", "passes over the training data", minimum=1, maximum=50),
    Hyperparameter("batch_size", "integer", "examples per batch", minimum=1, maximum=256),
    Hyperparameter(
        "learning_rate_multiplier",
        "number",
        "scales the provider's base learning rate",
        minimum=0,
        exclusive_minimum=True,
    ),
    Hyperparameter(
        "beta",
        "number",
        "DPO: how far the model may move from the reference model (higher: less)",
        methods=("dpo",),
        minimum=0,
        maximum=2,
        exclusive_minimum=True,
    ),
)
# Azure's training tiers (its `trainingType`): in-region with data residency, cheaper global,
# or pre-emptible idle capacity without an SLA.
AZURE_TRAINING_TYPES = ("standard", "globalstandard", "developer")
_AZURE_HYPERPARAMETERS = (
    *_OPENAI_HYPERPARAMETERS,
    Hyperparameter(
        "training_type",
        "string",
        "Azure's training tier (sent as trainingType)",
        choices=AZURE_TRAINING_TYPES,
        auto=False,
        default="globalstandard",
    ),
)

# OpenAI closes self-serve fine-tuning: no new training jobs from 2027-01-06; the gpt-4.1 and
# gpt-4o snapshots shut down on 2027-01-14 (gpt-4.1-nano already did, on 2026-10-23).
_OPENAI_RETIREMENTS = {
    model: date(2027, 1, 14)
    for model in (
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4o-2024-08-06",
        "gpt-4o-mini-2024-07-18",
    )
}
OPENAI = ProviderInfo(
    name="openai",
    title="OpenAI",
    settings=("FTJOBS_OPENAI_API_KEY",),
    capabilities=Capabilities(methods=METHODS, pause_resume=True),
    hyperparameters=_OPENAI_HYPERPARAMETERS,
    models={
        "dpo": ("gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14", "gpt-4o-2024-08-06"),
        "sft": (
            "gpt-4.1-2025-04-14",
            "gpt-4.1-mini-2025-04-14",
            "gpt-4o-2024-08-06",
            "gpt-4o-mini-2024-07-18",
        ),
    },
    end_dates=EndDates(
        no_new_jobs_from=date(2027, 1, 6),
        model_retirements=_OPENAI_RETIREMENTS,
        note="OpenAI is winding down self-serve fine-tuning; organizations already blocked get "
        "403 training_not_available.",
    ),
    fine_tuned_prefix="ft:",
)
AZURE = ProviderInfo(
    name="azure",
    title="Azure OpenAI",
    settings=("FTJOBS_AZURE_OPENAI_ENDPOINT", "FTJOBS_AZURE_OPENAI_API_KEY (or Entra ID)"),
    capabilities=Capabilities(methods=METHODS, pause_resume=True),
    hyperparameters=_AZURE_HYPERPARAMETERS,
    models={
        "dpo": ("gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14", "gpt-4o-2024-08-06"),
        "sft": (
            "gpt-4.1-2025-04-14",
            "gpt-4.1-mini-2025-04-14",
            "gpt-4.1-nano-2025-04-14",
            "gpt-4o-2024-08-06",
            "gpt-4o-mini-2024-07-18",
        ),
    },
    # Azure's own retirement table gives training "no earlier than" these days, for existing
    # fine-tuning customers; they are the earliest, so they are the defaults to enforce.
    end_dates=EndDates(
        model_retirements={
            "gpt-4.1-2025-04-14": date(2027, 4, 14),
            "gpt-4.1-mini-2025-04-14": date(2027, 4, 14),
            "gpt-4.1-nano-2025-04-14": date(2027, 4, 14),
            "gpt-4o-2024-08-06": date(2027, 4, 1),
            "gpt-4o-mini-2024-07-18": date(2027, 4, 1),
        },
        note="Training for existing Azure fine-tuning customers, no earlier than these dates; "
        "a deployment step is needed before inference.",
    ),
    suffix_limit=_AZURE_SUFFIX,
    # Azure names a fine-tuned model `<base>.ft-<job id>`; DPO can continue from it.
    fine_tuned_infix=".ft-",
)

# Together AI: open-weight models, LoRA or full training, DPO with its variants (RPO, SimPO).
# Its defaults are its own: an absolute learning rate, batch size "max" (the largest the model
# takes), one epoch, one checkpoint, no evaluations.
TOGETHER_TRAINING_TYPES = ("lora", "full")
_TOGETHER_HYPERPARAMETERS = (
    Hyperparameter(
        "n_epochs", "integer", "passes over the training data", minimum=1, auto=False, default=1
    ),
    Hyperparameter(
        "batch_size",
        "integer",
        'examples per batch; "max": the largest the model takes (its limits: GET /v1/providers)',
        minimum=1,
        auto=False,
        default="max",
        keywords=("max",),
    ),
    Hyperparameter(
        "learning_rate",
        "number",
        "the absolute learning rate (Together has no multiplier)",
        minimum=0,
        exclusive_minimum=True,
        auto=False,
        default=1e-5,
    ),
    Hyperparameter(
        "beta",
        "number",
        "DPO: how far the model may move from the reference model (sent as dpo_beta)",
        methods=("dpo",),
        minimum=0,
        exclusive_minimum=True,
        auto=False,
        default=0.1,
    ),
    Hyperparameter(
        "rpo_alpha",
        "number",
        "DPO: weight of the NLL term on the preferred output (RPO); 0 turns it off",
        methods=("dpo",),
        minimum=0,
        auto=False,
        default=0.0,
    ),
    Hyperparameter(
        "simpo_gamma",
        "number",
        "DPO: SimPO's target margin; above 0 trains reference-free with length normalisation",
        methods=("dpo",),
        minimum=0,
        auto=False,
        default=0.0,
    ),
    Hyperparameter(
        "dpo_normalize_logratios_by_length",
        "boolean",
        "DPO: divide the log-ratios by the output's length",
        methods=("dpo",),
        auto=False,
        default=False,
    ),
    Hyperparameter(
        "dpo_reference_free",
        "boolean",
        "DPO: no reference model (as SimPO)",
        methods=("dpo",),
        auto=False,
        default=False,
    ),
    Hyperparameter(
        "training_type",
        "string",
        "LoRA adapters or every weight (full); full only on models that allow it",
        choices=TOGETHER_TRAINING_TYPES,
        auto=False,
        default="lora",
    ),
    Hyperparameter(
        "lora_r",
        "integer",
        "LoRA: the adapters' rank (default: the model's)",
        minimum=1,
        auto=False,
        default=None,
    ),
    Hyperparameter(
        "lora_alpha",
        "number",
        "LoRA: scaling (default: twice the rank)",
        minimum=0,
        exclusive_minimum=True,
        auto=False,
        default=None,
    ),
    Hyperparameter(
        "lora_dropout",
        "number",
        "LoRA: dropout",
        minimum=0,
        maximum=1,
        exclusive_maximum=True,
        auto=False,
        default=0.0,
    ),
    Hyperparameter(
        "n_checkpoints",
        "integer",
        "checkpoints saved during training",
        minimum=1,
        auto=False,
        default=1,
    ),
    Hyperparameter(
        "n_evals",
        "integer",
        "evaluations on the validation dataset during training (needs one)",
        minimum=0,
        auto=False,
        default=0,
        needs_validation=True,
    ),
    Hyperparameter(
        "warmup_ratio",
        "number",
        "share of the steps spent warming the learning rate up",
        minimum=0,
        maximum=1,
        auto=False,
        default=0.0,
    ),
)
# Our job's tag in the suffix Together gets (`-ftj-` and 10 hex digits of our job id; see
# providers/together.py): a caller's suffix leaves room for it within Together's 40 characters.
TOGETHER_TAG_MARK = "-ftj-"
TOGETHER_TAG_LENGTH = len(TOGETHER_TAG_MARK) + 10
TOGETHER_SUFFIX_LIMIT = 40
_TOGETHER_SUFFIX = SuffixLimit(
    max_length=TOGETHER_SUFFIX_LIMIT - TOGETHER_TAG_LENGTH,
    allowed=string.ascii_letters + string.digits + "-_.",
    allowed_described="letters, digits, -, _ and .",
)
_TOGETHER_DOCUMENTED_MODELS = (
    "Qwen/Qwen3-8B",
    "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
    "meta-llama/Llama-3.3-70B-Instruct-Reference",
    "openai/gpt-oss-20b",
)
TOGETHER = ProviderInfo(
    name="together",
    title="Together AI",
    settings=("FTJOBS_TOGETHER_API_KEY",),
    capabilities=Capabilities(methods=METHODS, pause_resume=False),
    hyperparameters=_TOGETHER_HYPERPARAMETERS,
    # Until Together's own list was read (the scheduler refreshes it): models its documentation
    # lists for both methods.
    models=dict.fromkeys(METHODS, _TOGETHER_DOCUMENTED_MODELS),
    end_dates=EndDates(note="No announced end date."),
    suffix_limit=_TOGETHER_SUFFIX,
    # A job id (`ft-…`) or a model this service fine-tuned there (its name carries our tag)
    # continues as `from_checkpoint`.
    fine_tuned_prefix="ft-",
    fine_tuned_infix=TOGETHER_TAG_MARK,
    refused={
        "learning_rate_multiplier": "Together has no learning-rate multiplier: it takes an "
        "absolute learning_rate (default 1e-05), and a multiplier of another provider's base "
        "rate does not translate into one",
    },
    lists_models=True,
)

PROVIDERS: dict[str, ProviderInfo] = {info.name: info for info in (OPENAI, AZURE, TOGETHER)}


def with_end_dates(info: ProviderInfo, overrides: Mapping[str, Any] | None) -> ProviderInfo:
    """`info` with an operator's end dates (`{"no_new_jobs_from": "2027-03-01" | null,
    "model_retirements": {model: day}}`), where given."""
    if not overrides:
        return info
    end = info.end_dates
    if "no_new_jobs_from" in overrides:
        day = overrides["no_new_jobs_from"]
        end = replace(end, no_new_jobs_from=date.fromisoformat(day) if day else None)
    if "model_retirements" in overrides:
        retirements = {k: date.fromisoformat(v) for k, v in overrides["model_retirements"].items()}
        end = replace(end, model_retirements={**end.model_retirements, **retirements})
    return replace(info, end_dates=end)


def check_job(
    info: ProviderInfo,
    method: Method,
    model: str,
    hyperparameters: Mapping[str, Any],
    today: date | None,
    *,
    has_validation: bool = True,
) -> list[FieldError]:
    """Everything the provider's entry says about a job request; [] when it may be created."""
    return (
        check_model(info, method, model)
        + check_hyperparameters(info, method, hyperparameters, has_validation=has_validation)
        + check_end_dates(info, model, today)
    )


def check_end_dates(info: ProviderInfo, model: str, today: date | None) -> list[FieldError]:
    refusal = info.end_dates.refusal(model, today) if today is not None else None
    if refusal is None:
        return []
    message = f"{info.title} cannot take this job: {refusal}; choose another provider"
    return [FieldError("provider_ended", message, path="/provider")]


def check_model(info: ProviderInfo, method: Method, model: str) -> list[FieldError]:
    if info.tunes(method, model):
        return []
    listed = ", ".join(info.models.get(method, ()))
    message = f"{info.title} does not fine-tune {model!r} with {method}; it tunes {listed}"
    return [FieldError("unsupported_model", message, path="/model")]


def check_hyperparameters(
    info: ProviderInfo,
    method: Method,
    values: Mapping[str, Any],
    *,
    has_validation: bool = True,
) -> list[FieldError]:
    allowed = info.hyperparameters_for(method)
    errors = []
    for name, value in values.items():
        path = pointer("hyperparameters", name)
        if name in info.refused and name not in allowed:
            message = f"{info.title} does not take {name}: {info.refused[name]}"
            errors.append(FieldError("hyperparameter_refused", message, path=path))
        elif name not in allowed:
            message = (
                f"{info.title} has no hyperparameter {name!r} for {method}; "
                f"allowed: {', '.join(sorted(allowed))}"
            )
            errors.append(FieldError("unknown_hyperparameter", message, path=path))
        elif not allowed[name].admits(value):
            message = f"{name} must be {allowed[name].describe()}, got {value!r}"
            errors.append(FieldError("hyperparameter_out_of_range", message, path=path))
        elif allowed[name].needs_validation and not has_validation and allowed[name].is_set(value):
            message = f"{name} needs a validation dataset: set validation_dataset_id"
            errors.append(FieldError("needs_validation_dataset", message, path=path))
    return errors


# Where a job goes when it names no provider and the operator chose no default: the first of
# these that is configured and still takes jobs. OpenAI first while it does (the service's
# original provider); after its end date a job without a provider goes where it can still run,
# instead of to a provider that would refuse it.
DEFAULT_ORDER = ("openai", "azure", "together")


@dataclass(frozen=True)
class Offer:
    """A provider as this deployment has it: its entry (with the operator's end dates) and
    whether its settings are there."""

    info: ProviderInfo
    configured: bool


@dataclass(frozen=True)
class Catalogue:
    offers: Mapping[str, Offer]
    chosen_default: str | None = None  # FTJOBS_DEFAULT_PROVIDER

    def configured(self) -> frozenset[str]:
        """The providers this deployment has (their settings are there)."""
        return frozenset(name for name, offer in self.offers.items() if offer.configured)

    def default(self, today: date) -> str:
        if self.chosen_default is not None:
            return self.chosen_default
        for name in DEFAULT_ORDER:
            offer = self.offers.get(name)
            if offer is not None and offer.configured and offer.info.end_dates.open_on(today):
                return name
        return DEFAULT_ORDER[0]

    def destination(self, requested: str | None, today: date) -> Destination:
        """Where a job goes, or why it cannot go there (unknown, not configured)."""
        name = requested if requested is not None else self.default(today)
        offer = self.offers.get(name)
        if offer is None:
            message = f"unknown provider {name!r}; known: {', '.join(self.offers)}"
            error = FieldError("unknown_provider", message, path="/provider")
            return Destination(OPENAI, (error,), today)
        if not offer.configured:
            message = (
                f"provider {name!r} is not configured on this service; the operator sets "
                f"{' and '.join(offer.info.settings)}"
            )
            error = FieldError("provider_not_configured", message, path="/provider")
            return Destination(offer.info, (error,), today)
        return Destination(offer.info, (), today)


@dataclass(frozen=True)
class Destination:
    """The provider a job goes to as its caller resolved it, what stops it from going there,
    and the day the provider's end dates are judged on (None: left to the provider, as for a
    pipeline's second stage, whose provider was chosen with its first)."""

    info: ProviderInfo
    errors: tuple[FieldError, ...] = ()
    today: date | None = None

    @classmethod
    def chosen(cls, name: str) -> Destination:
        return cls(PROVIDERS[name])

    def check(
        self,
        method: Method,
        model: str,
        hyperparameters: Mapping[str, Any],
        *,
        has_validation: bool = True,
    ) -> list[FieldError]:
        if self.errors:
            return list(self.errors)
        return check_job(
            self.info, method, model, hyperparameters, self.today, has_validation=has_validation
        )


def title(name: str) -> str:
    """A provider's name as people write it."""
    info = PROVIDERS.get(name)
    return info.title if info is not None else name
