"""The source formats: detection by a row's keys, TRL's implicit prompt, HH-RLHF transcripts cut
into turns, the older OpenAI names, and one converter per foreign format."""

from __future__ import annotations

from typing import Any

import pytest

from service.datasets.validator.convert.formats import (
    CONVERTERS,
    FOREIGN_FORMATS,
    SOURCE_FORMATS,
    Drop,
    common_prefix_len,
    detect,
    from_openai,
    hh_turns,
)
from tests.datasets.helpers import dpo
from tests.datasets.validator.test_conversions import (
    ARGILLA,
    H4,
    HH,
    SHAREGPT,
    TRL_CONV_IMPLICIT,
    TRL_STD,
)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (TRL_STD, "trl"),
        (TRL_CONV_IMPLICIT, "trl"),
        (ARGILLA, "ultrafeedback"),
        (H4, "ultrafeedback"),
        (SHAREGPT, "sharegpt"),
        (HH, "hh-rlhf"),
        ({"chosen": "Human: hi\n\nAssistant: a", "rejected": "x"}, "hh-rlhf"),
        (dpo(), "openai"),
        ({"chosen_messages": [], "rejected_messages": []}, "trl"),
        ({"x": 1}, None),
        ([1], None),
    ],
)
def test_detect(row: Any, expected: str | None) -> None:
    assert detect(row) == expected


@pytest.mark.parametrize(
    ("a", "b", "n"),
    [
        ("same start a", "same start b", 10),
        ("ab", "ab", 2),
        ("x", "y", 0),
        ("", "y", 0),
        ("the cat", "the dog", 3),
    ],
)
def test_common_prefix_does_not_end_inside_a_word_boundary(a: str, b: str, n: int) -> None:
    assert common_prefix_len(a, b) == n


def test_a_transcript_is_cut_into_turns_at_blank_line_markers() -> None:
    assert hh_turns("Human: hi\n\nAssistant: a\n\nHuman: Human: x") == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "a"},
        {"role": "user", "content": "Human: x"},
    ]
    assert hh_turns("Q?\n\nAssistant: a") == Drop(
        "not_converted", "the transcript must start with '\\n\\nHuman: '"
    )
    assert hh_turns(None) == Drop("not_converted", "must be a transcript string")


def test_the_older_openai_names_are_renamed() -> None:
    row = dpo(1)
    old = {
        "input": row["input"],
        "preferred_completion": row["preferred_output"],
        "non_preferred_completion": row["non_preferred_output"],
    }
    assert from_openai(old) == row


def test_every_format_but_auto_has_a_converter() -> None:
    assert SOURCE_FORMATS == ("openai", "auto", "trl", "ultrafeedback", "sharegpt", "hh-rlhf")
    assert set(CONVERTERS) == {*FOREIGN_FORMATS, "openai"}
