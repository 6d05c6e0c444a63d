"""What a job costs: tokens x epochs (plus evaluation tokens x evaluations) at the model's rate,
with no minimum (Together's pricing page). A job's `total_price` is an integer; the emulator
keeps it in cents (the unit is not documented).

Tokens are whitespace-split words of every string in every example: the emulator's stand-in for
the model's tokenizer, deterministic and cheap. The account's credit limit is a run-time knob
(`/_emulator/together/limit`), so tests can drive a refusal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from service.emulators.together.dataset_rules import examples
from service.emulators.together.models import ModelSpec


@dataclass(frozen=True)
class Estimate:
    train_tokens: int  # training tokens x epochs
    eval_tokens: int  # validation tokens x evaluations
    price: float  # dollars

    @property
    def price_cents(self) -> int:
        return round(self.price * 100)

    def share(self, fraction: float) -> int:
        """The cents of the part of the job that ran (a cancelled job pays for what it used)."""
        return round(self.price * 100 * fraction)


def count_tokens(content: bytes) -> int:
    """Whitespace-split words over every string value of every line that parses."""
    total = 0
    for _, line in examples(content):
        try:
            value = msgspec.json.decode(line)
        except msgspec.DecodeError:
            continue  # the dataset check, not the price, reports a broken line
        total += sum(len(text.split()) for text in _strings(value))
    return total


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def estimate(
    spec: ModelSpec,
    training: str,
    *,
    training_tokens: int,
    validation_tokens: int,
    n_epochs: int,
    n_evals: int,
) -> Estimate:
    train = training_tokens * n_epochs
    evaluation = validation_tokens * n_evals
    price = (train + evaluation) * spec.price_per_million(training) / 1_000_000
    return Estimate(train, evaluation, round(price, 6))
