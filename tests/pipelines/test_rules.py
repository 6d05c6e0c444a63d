"""Pipeline requests are checked before anything is read or written (pure)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from service.pipelines.rules import MIN_SFT_EXAMPLES, check_request, too_few
from service.providers.registry import AZURE, OPENAI, Destination


def check(**overrides: Any) -> list[tuple[str, str | None]]:
    request: dict[str, Any] = {
        "model": "gpt-4.1-mini-2025-04-14",
        "fraction": 1.0,
        "sft_hyperparameters": {},
        "dpo_hyperparameters": {},
        "suffix": None,
        "seed": None,
        "metadata": {},
        "destination": Destination(OPENAI, today=date(2026, 12, 1)),
    }
    return [(e.code, e.path) for e in check_request(**(request | overrides))]


def test_a_good_request_passes() -> None:
    assert check(sft_hyperparameters={"n_epochs": 2}, dpo_hyperparameters={"beta": 0.2}) == []
    assert check(model="ft:gpt-4.1-mini-2025-04-14:org::abc", fraction=0.01, seed=0) == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"fraction": 0}, ("invalid_fraction", "/sft/fraction")),
        ({"fraction": 1.01}, ("invalid_fraction", "/sft/fraction")),
        ({"fraction": True}, ("invalid_fraction", "/sft/fraction")),
        ({"fraction": float("nan")}, ("invalid_fraction", "/sft/fraction")),
        (
            {"sft_hyperparameters": {"beta": 0.1}},
            ("unknown_hyperparameter", "/sft/hyperparameters/beta"),
        ),
        (
            {"dpo_hyperparameters": {"beta": 3}},
            ("hyperparameter_out_of_range", "/dpo/hyperparameters/beta"),
        ),
        (
            {"dpo_hyperparameters": {"n_epochs": 0}},
            ("hyperparameter_out_of_range", "/dpo/hyperparameters/n_epochs"),
        ),
        ({"model": "gpt-2"}, ("unsupported_model", "/model")),
        ({"suffix": ""}, ("invalid_suffix", "/suffix")),
        ({"seed": -1}, ("invalid_seed", "/seed")),
        (
            {"metadata": {"ftjobs_job_id": "x"}},
            ("reserved_metadata_key", "/metadata/ftjobs_job_id"),
        ),
    ],
)
def test_each_problem_is_named_where_it_is(
    overrides: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert check(**overrides) == [expected]


def test_too_few_examples_names_the_numbers() -> None:
    assert too_few(0.5, 20, "ds_x") is None
    error = too_few(0.3, 20, "ds_x")
    assert error is not None
    assert (error.code, error.path) == ("too_few_examples", "/sft/fraction")
    assert error.message == (
        f"the SFT stage needs at least {MIN_SFT_EXAMPLES} examples, but a fraction of 0.3 of "
        "the 20 examples in ds_x is 6"
    )


def test_the_provider_decides_models_and_dates() -> None:
    # Azure tunes gpt-4.1-nano with SFT only: the DPO stage could never run on it.
    nano = {"model": "gpt-4.1-nano-2025-04-14", "destination": Destination(AZURE)}
    assert check(**nano) == [("unsupported_model", "/model")]
    closed = Destination(OPENAI, today=date(2027, 1, 6))
    assert check(destination=closed) == [("provider_ended", "/provider")]
    refused = Destination(OPENAI, errors=(too_few(0.5, 4, "ds_x"),))  # type: ignore[arg-type]
    assert check(destination=refused) == [("too_few_examples", "/sft/fraction")]
    assert check(destination=Destination(AZURE), suffix="a.b") == [("invalid_suffix", "/suffix")]
