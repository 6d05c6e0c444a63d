"""Every converter writes `content` as a string, which every provider accepts: content parts
(OpenAI's `text`, LLaMA-Factory's `value`) are joined; only a non-text part keeps the list."""

from __future__ import annotations

import json
from typing import Any

import pytest

from service.datasets.validator.acceptance.rules import PROVIDERS, line_problem
from service.datasets.validator.convert.formats import CONVERTERS, Drop
from tests.datasets.validator.test_conversions import (
    ARGILLA,
    H4,
    HH,
    SHAREGPT_SYS,
    TRL_CONV,
    TRL_CONV_IMPLICIT,
    TRL_IMPLICIT,
    TRL_STD,
)


def _parts(*texts: str, key: str = "text") -> list[dict[str, str]]:
    return [{"type": "text", key: text} for text in texts]


# LLaMA-Factory's v1 layout: whole conversations whose contents are `value` parts, with a
# per-message loss weight, the prompt repeated on both sides.
LLAMA_FACTORY_V1 = {
    "chosen_messages": [
        {"role": "system", "content": _parts("Be ", "brief.", key="value"), "loss_weight": 0.0},
        {"role": "user", "content": _parts("What is 2 + 2?", key="value"), "loss_weight": 0.0},
        {"role": "assistant", "content": _parts("4", ".", key="value"), "loss_weight": 1.0},
    ],
    "rejected_messages": [
        {"role": "system", "content": _parts("Be ", "brief.", key="value"), "loss_weight": 0.0},
        {"role": "user", "content": _parts("What is 2 + 2?", key="value"), "loss_weight": 0.0},
        {"role": "assistant", "content": _parts("5", ".", key="value"), "loss_weight": 1.0},
    ],
}
TRL_PARTS = {
    "prompt": [{"role": "user", "content": _parts("What is ", "2 + 2?")}],
    "chosen": [{"role": "assistant", "content": _parts("4.")}],
    "rejected": [{"role": "assistant", "content": _parts("5.")}],
}


def _contents(row: dict[str, Any]) -> list[Any]:
    messages = [*row["input"]["messages"], *row["preferred_output"], *row["non_preferred_output"]]
    return [m["content"] for m in messages]


@pytest.mark.parametrize(
    ("fmt", "row"),
    [
        ("trl", TRL_STD),
        ("trl", TRL_IMPLICIT),
        ("trl", TRL_CONV),
        ("trl", TRL_CONV_IMPLICIT),
        ("trl", TRL_PARTS),
        ("trl", LLAMA_FACTORY_V1),
        ("ultrafeedback", ARGILLA),
        ("ultrafeedback", H4),
        ("sharegpt", SHAREGPT_SYS),
        ("hh-rlhf", HH),
    ],
)
def test_each_converter_writes_string_content_every_provider_accepts(
    fmt: str, row: dict[str, Any]
) -> None:
    converted = CONVERTERS[fmt](row)
    assert not isinstance(converted, Drop)
    assert all(isinstance(content, str) for content in _contents(converted))
    raw = json.dumps(converted).encode()
    assert {p: line_problem(raw, p, "dpo") for p in PROVIDERS} == dict.fromkeys(PROVIDERS)


def test_text_parts_are_joined_in_order() -> None:
    converted = CONVERTERS["trl"](LLAMA_FACTORY_V1)
    assert not isinstance(converted, Drop)
    assert _contents(converted) == ["Be brief.", "What is 2 + 2?", "4.", "5."]


def test_a_list_with_an_image_part_stays_a_list_for_the_validator_to_name() -> None:
    image = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    row = {**TRL_PARTS, "prompt": [{"role": "user", "content": [*_parts("Which?"), image]}]}
    converted = CONVERTERS["trl"](row)
    assert not isinstance(converted, Drop)
    assert converted["input"]["messages"][0]["content"] == [*_parts("Which?"), image]
