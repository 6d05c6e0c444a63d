"""The create-body checks as a flavor shapes them (no server needed): its own fields, its models,
and what its fine-tuned models inherit."""

from __future__ import annotations

import random
from typing import Any

import pytest

from service.emulators.errors import APIError
from service.emulators.openai_compat.flavor import SFT, SFT_DPO, Flavor
from service.emulators.openai_compat.ids import CompatIds
from service.emulators.openai_compat.params import invalid_value, parse_create


class ToyIds(CompatIds):
    def file(self) -> str:
        return self.hex("f-")

    def job(self) -> str:
        return self.hex("j-")

    def event(self) -> str:
        return self.hex("e-")

    def checkpoint(self) -> str:
        return self.hex("c-")

    def upload(self) -> str:
        return self.hex("u-")

    def part(self) -> str:
        return self.hex("p-")

    def model_tag(self) -> str:
        return self.hex("", 4)


def _tier(value: Any) -> str:
    if value not in (None, "fast", "slow"):
        raise invalid_value("tier", "must be fast or slow")
    return value or "slow"


TOY = Flavor(
    ids=ToyIds,
    models={"big": SFT_DPO, "small": SFT},
    fine_tuned_name=lambda base, suffix, org, tag: f"{base}~{tag}",
    base_model=lambda model: model.split("~")[0],
    extra_fields={"tier": _tier},
)
DPO = {"type": "dpo", "dpo": {}}


def _body(**fields: Any) -> dict[str, Any]:
    return {"model": "big", "training_file": "f-1", **fields}


def test_the_flavors_own_field_is_parsed_and_defaulted() -> None:
    given = parse_create(_body(tier="fast"), flavor=TOY, produced_models=set())
    absent = parse_create(_body(), flavor=TOY, produced_models=set())

    assert given.extra == {"tier": "fast"}
    assert absent.extra == {"tier": "slow"}


def test_a_bad_value_of_the_flavors_field_is_its_400() -> None:
    with pytest.raises(APIError) as info:
        parse_create(_body(tier="warp"), flavor=TOY, produced_models=set())
    assert (info.value.status, info.value.param) == (400, "tier")


def test_a_field_no_flavor_declares_is_refused() -> None:
    with pytest.raises(APIError) as info:
        parse_create(_body(speed="fast"), flavor=TOY, produced_models=set())
    assert info.value.param == "speed"
    assert info.value.message == "Unrecognized request argument supplied: speed"


def test_a_produced_model_inherits_its_bases_methods() -> None:
    dpo_on_big = parse_create(
        _body(model="big~ab12", method=DPO), flavor=TOY, produced_models={"big~ab12"}
    )
    with pytest.raises(APIError) as small:
        parse_create(
            _body(model="small~cd34", method=DPO), flavor=TOY, produced_models={"small~cd34"}
        )
    with pytest.raises(APIError) as unknown:
        parse_create(_body(model="big~ffff"), flavor=TOY, produced_models={"big~ab12"})

    assert dpo_on_big.method == "dpo"
    assert small.value.param == "method.type"
    assert unknown.value.param == "model"


def test_ids_come_from_the_flavor_seeded() -> None:
    first, second = TOY.ids(random.Random(1)), TOY.ids(random.Random(1))
    assert first.job() == second.job()
    assert first.job().startswith("j-")
    assert 0 <= first.seed() <= 2_147_483_647
