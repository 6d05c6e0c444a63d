"""/v1/providers: where jobs can go, and what each provider takes."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from litestar import Controller, get
from litestar.datastructures import State

from service.api.deps import Caller, resources
from service.providers.registry import Hyperparameter, Offer


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


class ProviderList(msgspec.Struct):
    data: list[ProviderOut]
    default_provider: str


class ProviderController(Controller):
    path = "/v1/providers"
    tags = ["providers"]

    @get("/")
    async def list_providers(self, state: State, principal: Caller) -> ProviderList:
        """Every provider this service knows: whether it is configured here (and the settings
        that configure it), what it supports, its hyperparameters with their types, ranges and
        defaults, the models it fine-tunes per method, and its known end dates. A job that
        names no provider goes to `default_provider`."""
        res = resources(state)
        today = res.today()
        default = res.catalogue.default(today)
        return ProviderList(
            [
                _offer_out(offer, today, offer.info.name == default)
                for offer in res.catalogue.offers.values()
            ],
            default,
        )


def _offer_out(offer: Offer, today: date, default: bool) -> ProviderOut:
    info = offer.info
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
    )
