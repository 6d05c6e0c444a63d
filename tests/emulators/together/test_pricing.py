"""What a job costs (no server)."""

from __future__ import annotations

from service.emulators.together.models import CATALOGUE
from service.emulators.together.pricing import count_tokens, estimate
from tests.emulators.together.helpers import jsonl

SPEC = CATALOGUE["meta-llama/Meta-Llama-3.1-70B-Instruct-Reference"]


def test_tokens_are_the_words_of_every_string() -> None:
    rows = [{"messages": [{"role": "user", "content": "one two three"}]}]
    assert count_tokens(jsonl(rows)) == 4  # "user" counts too
    assert count_tokens(b"{broken\n" + jsonl(rows)) == 4  # the dataset check reports that line


def test_price_is_tokens_times_epochs_and_evaluations_at_the_rate() -> None:
    result = estimate(
        SPEC, "Lora", training_tokens=100_000, validation_tokens=10_000, n_epochs=3, n_evals=2
    )
    assert (result.train_tokens, result.eval_tokens) == (300_000, 20_000)
    assert result.price == round(320_000 * SPEC.lora_price_per_million / 1e6, 6)
    assert result.price_cents == round(result.price * 100)


def test_full_training_costs_more_and_there_is_no_minimum() -> None:
    lora = estimate(SPEC, "Lora", training_tokens=10**6, validation_tokens=0, n_epochs=1, n_evals=0)
    full = estimate(SPEC, "Full", training_tokens=10**6, validation_tokens=0, n_epochs=1, n_evals=0)
    tiny = estimate(SPEC, "Lora", training_tokens=1, validation_tokens=0, n_epochs=1, n_evals=0)
    assert full.price > lora.price
    assert tiny.price == round(SPEC.lora_price_per_million / 1e6, 6)
    assert tiny.share(0.5) == 0
