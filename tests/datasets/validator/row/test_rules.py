"""Rules on a typed row: whitespace-insensitive equality that agrees with normalising, one output
the beginning of the other, an output that echoes the input, and the facts a row yields."""

from __future__ import annotations

import random

import msgspec

from service.datasets.validator.report import Issue
from service.datasets.validator.row.rules import (
    check_dpo,
    is_prefix_pair,
    normalize_ws,
    repeats,
    same_after_whitespace,
)
from service.datasets.validator.row.typed import DPO_DECODER
from tests.datasets.helpers import dpo


def test_same_after_whitespace_equals_normalising() -> None:
    rng = random.Random(11)
    alphabet = [" ", "\t", "\n", "a", "b", "é"]
    for _ in range(3000):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        if rng.random() < 0.3:
            b = a.replace(" ", "  ")
        assert same_after_whitespace(a, b) == (normalize_ws(a) == normalize_ws(b))


def test_prefix_pairs_and_echoes() -> None:
    assert is_prefix_pair("The answer is 4, because", "The answer is 4")
    assert not is_prefix_pair("The answer is 4", "The answer is 5")
    assert repeats(" What is 2 + 2?\n", "What is 2 + 2?")
    assert not repeats("  ", "  ")
    assert not repeats("", "")


def test_a_valid_row_yields_its_facts_and_no_issue() -> None:
    row = DPO_DECODER.decode(msgspec.json.encode(dpo(1)))
    out: list[Issue] = []
    facts = check_dpo(row, 1, out)
    assert out == []
    assert (facts.preferred_chars, facts.non_preferred_chars) == (16, 13)
    assert facts.pair_key != facts.reversed_key
