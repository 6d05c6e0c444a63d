"""The typed rows: what they refuse (so that the walk names it), and the text a message carries."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from msgspec import UNSET

from service.datasets.validator.row.typed import (
    DPO_DECODER,
    SFT_DECODER,
    ImagePart,
    TextPart,
    text_of,
)
from tests.datasets.helpers import dpo, edit, sft


def test_the_text_of_a_message() -> None:
    assert text_of("hi") == "hi"
    assert text_of([TextPart("a"), ImagePart({"url": "x"}), TextPart("b")]) == "ab"
    assert text_of(None) == ""
    assert text_of(UNSET) == ""


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("metadata", {"a": 1}),
        ("preferred_output/0/role", "user"),
        ("preferred_output", []),
        ("input/messages", []),
        ("input/messages/0/role", "developer"),
        ("input/messages/1/weight", 2),
    ],
)
def test_what_the_structs_refuse(path: str, value: Any) -> None:
    with pytest.raises(msgspec.ValidationError):
        DPO_DECODER.decode(json.dumps(edit(dpo(1), path, value)))


def test_an_sft_row_decodes() -> None:
    row = SFT_DECODER.decode(json.dumps(sft(1)))
    assert [m.role for m in row.messages] == ["user", "assistant"]
