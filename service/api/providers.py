"""/v1/providers: where jobs can go, and what each provider takes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import msgspec
from litestar import Controller, get
from litestar.datastructures import State

from service.api.deps import Caller, Session, resources
from service.jobs import provider_models
from service.jobs.provider_models_repository import Listing
from service.providers.registry import Destination, Hyperparameter, Offer


class HyperparameterOut(msgspec.Struct):
    name: str
    type: str
    description: str
    methods: list[str]
    auto: bool
    default: Any
    minimum: float | None
    maximum: float | None
    exclusive_minimum: bool
    choices: list[str] | None
    exclusive_maximum: bool = False
    # Words the value may also be, e.g. Together's batch_size "max".
    keywords: list[str] | None = None
    # Only with a validation dataset (Together's n_evals).
    needs_validation_dataset: bool = False


class CapabilitiesOut(msgspec.Struct):
    methods: list[str]
    cancel: bool
    pause_resume: bool
    checkpoints: bool
    events: bool
    metrics: bool


class EndDatesOut(msgspec.Struct):
    no_new_jobs_from: date | None
    model_retirements: dict[str, date]
    note: str
    takes_new_jobs: bool  # today, as far as the known dates say


class SuffixOut(msgspec.Struct):
    max_length: int
    characters: str | None


class ProviderOut(msgspec.Struct):
    name: str
    title: str
    configured: bool
    default: bool
    settings: list[str]
    capabilities: CapabilitiesOut
    hyperparameters: list[HyperparameterOut]
    models: dict[str, list[str]]
    end_dates: EndDatesOut
    suffix: SuffixOut
    # Where `models` come from: the provider's own list (read by the workers every few
    # minutes, `models_refreshed_at`) or this service's registry (OpenAI, Azure, and Together
    # until its list was read).
    models_source: Literal["provider", "registry"] = "registry"
    models_refreshed_at: datetime | None = None
    # Per model, the limits the provider states (batch sizes per method and training type,
    # sequence lengths, learning-rate range, epochs, checkpoints, evaluations, LoRA rank).
    model_limits: dict[str, dict[str, Any]] | None = None
    # Hyperparameters of other providers this one refuses, with the reason.
    refused_hyperparameters: dict[str, str] | None = None


class ProviderList(msgspec.Struct):
    data: list[ProviderOut]
    default_provider: str


class ProviderController(Controller):
    path = "/v1/providers"
    tags = ["providers"]

    @get("/")
    async def list_providers(
        self, state: State, session: Session, principal: Caller
    ) -> ProviderList:
        """Every provider this service knows: whether it is configured here (and the settings
        that configure it), what it supports, its hyperparameters with their types, ranges and
        defaults, the models it fine-tunes per method, and its known end dates. A job that
        names no provider goes to `default_provider`."""
        res = resources(state)
        today = res.today()
        default = res.catalogue.default(today)
        listings = {
            name: await provider_models.listing_for(session, Destination(offer.info))
            for name, offer in res.catalogue.offers.items()
        }
        return ProviderList(
            [
                _offer_out(offer, today, name == default, listings[name])
                for name, offer in res.catalogue.offers.items()
            ],
            default,
        )


def _offer_out(offer: Offer, today: date, default: bool, listing: Listing | None) -> ProviderOut:
    info = provider_models.with_listing(Destination(offer.info), listing).info
    caps = info.capabilities
    end = info.end_dates
    return ProviderOut(
        name=info.name,
        title=info.title,
        configured=offer.configured,
        default=default,
        settings=list(info.settings),
        capabilities=CapabilitiesOut(
            methods=list(caps.methods),
            cancel=caps.cancel,
            pause_resume=caps.pause_resume,
            checkpoints=caps.checkpoints,
            events=caps.events,
            metrics=caps.metrics,
        ),
        hyperparameters=[_hyperparameter_out(h) for h in info.hyperparameters],
        models={method: list(models) for method, models in info.models.items()},
        end_dates=EndDatesOut(
            no_new_jobs_from=end.no_new_jobs_from,
            model_retirements=dict(end.model_retirements),
            note=end.note,
            takes_new_jobs=end.open_on(today),
        ),
        suffix=SuffixOut(info.suffix_limit.max_length, info.suffix_limit.allowed_described or None),
        models_source="provider" if listing is not None else "registry",
        models_refreshed_at=listing.refreshed_at if listing is not None else None,
        model_limits={name: m.to_json() for name, m in listing.models.items()}
        if listing is not None
        else None,
        refused_hyperparameters=dict(info.refused) or None,
    )


def _hyperparameter_out(h: Hyperparameter) -> HyperparameterOut:
    return HyperparameterOut(
        name=h.name,
        type=h.type,
        description=h.description,
        methods=list(h.methods),
        auto=h.auto,
        default=h.default,
        minimum=h.minimum,
        maximum=h.maximum,
        exclusive_minimum=h.exclusive_minimum,
        choices=list(h.choices) or None,
        exclusive_maximum=h.exclusive_maximum,
        keywords=list(h.keywords) or None,
        needs_validation_dataset=h.needs_validation,
    )
