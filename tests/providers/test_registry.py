"""The providers' entries (pure): hyperparameters with their ranges, models per method, end
dates and their overrides, the default provider and the refusals a job request can get."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from service.providers.registry import (
    AZURE,
    OPENAI,
    PROVIDERS,
    TOGETHER,
    Catalogue,
    Destination,
    Offer,
    check_hyperparameters,
    check_job,
    check_model,
    with_end_dates,
)


@pytest.mark.parametrize(
    "values",
    [
        {
            "beta": "auto",
            "n_epochs": "auto",
            "batch_size": "auto",
            "learning_rate_multiplier": "auto",
        },
        {"beta": 2, "n_epochs": 1, "batch_size": 256, "learning_rate_multiplier": 0.01},
        {"beta": 0.0001, "n_epochs": 50, "batch_size": 1},
        {},
    ],
)
def test_values_in_range_pass(values: dict[str, Any]) -> None:
    assert check_hyperparameters(OPENAI, "dpo", values) == []


@pytest.mark.parametrize(
    ("values", "path"),
    [
        ({"beta": 0}, "/hyperparameters/beta"),
        ({"beta": 2.5}, "/hyperparameters/beta"),
        ({"beta": -1}, "/hyperparameters/beta"),
        ({"n_epochs": 0}, "/hyperparameters/n_epochs"),
        ({"n_epochs": 51}, "/hyperparameters/n_epochs"),
        ({"n_epochs": 2.5}, "/hyperparameters/n_epochs"),
        ({"batch_size": 257}, "/hyperparameters/batch_size"),
        ({"learning_rate_multiplier": 0}, "/hyperparameters/learning_rate_multiplier"),
        ({"learning_rate_multiplier": "fast"}, "/hyperparameters/learning_rate_multiplier"),
        ({"n_epochs": True}, "/hyperparameters/n_epochs"),
        ({"temperature": 1}, "/hyperparameters/temperature"),
    ],
)
def test_values_out_of_range_are_named(values: dict[str, Any], path: str) -> None:
    errors = check_hyperparameters(OPENAI, "dpo", values)
    assert [error.path for error in errors] == [path]


def test_beta_only_with_dpo() -> None:
    errors = check_hyperparameters(OPENAI, "sft", {"beta": 0.1})
    assert [(e.code, e.path) for e in errors] == [
        ("unknown_hyperparameter", "/hyperparameters/beta")
    ]


def test_models() -> None:
    assert check_model(OPENAI, "dpo", "gpt-4.1-mini-2025-04-14") == []
    assert check_model(OPENAI, "dpo", "ft:gpt-4.1-mini-2025-04-14:org:x:abc12345") == []
    [error] = check_model(OPENAI, "dpo", "gpt-2")
    assert (error.code, error.path) == ("unsupported_model", "/model")
    assert "gpt-4.1-mini-2025-04-14" in error.message  # the ones it does tune are listed
    # gpt-4.1-nano is gone at OpenAI; Azure still tunes it with SFT, not with DPO.
    assert check_model(OPENAI, "sft", "gpt-4.1-nano-2025-04-14") != []
    assert check_model(AZURE, "sft", "gpt-4.1-nano-2025-04-14") == []
    assert check_model(AZURE, "dpo", "gpt-4.1-nano-2025-04-14") != []
    assert check_model(AZURE, "dpo", "gpt-4.1-mini-2025-04-14.ft-abc123") == []


def test_azure_takes_a_training_type_and_openai_does_not() -> None:
    assert check_hyperparameters(AZURE, "dpo", {"training_type": "developer", "beta": 0.2}) == []
    [wrong] = check_hyperparameters(AZURE, "dpo", {"training_type": "fast"})
    assert wrong.code == "hyperparameter_out_of_range"
    assert "standard, globalstandard, developer" in wrong.message
    [unknown] = check_hyperparameters(OPENAI, "dpo", {"training_type": "standard"})
    assert (unknown.code, unknown.path) == (
        "unknown_hyperparameter",
        "/hyperparameters/training_type",
    )


BEFORE, CLOSING, AFTER = date(2027, 1, 5), date(2027, 1, 6), date(2027, 1, 14)


def test_openai_takes_no_job_from_its_end_date() -> None:
    model = "gpt-4.1-mini-2025-04-14"
    assert check_job(OPENAI, "dpo", model, {}, BEFORE) == []
    [closed] = check_job(OPENAI, "dpo", model, {}, CLOSING)
    assert (closed.code, closed.path) == ("provider_ended", "/provider")
    assert "2027-01-06" in closed.message
    assert check_job(AZURE, "dpo", model, {}, AFTER) == []  # Azure trains on until April
    [retired] = check_job(AZURE, "dpo", model, {}, date(2027, 4, 14))
    assert "retired on 2027-04-14" in retired.message


def test_an_operator_moves_or_removes_end_dates() -> None:
    later = with_end_dates(OPENAI, {"no_new_jobs_from": "2027-03-01"})
    assert later.end_dates.no_new_jobs_from == date(2027, 3, 1)
    assert check_job(later, "dpo", "gpt-4.1-2025-04-14", {}, CLOSING) == []
    removed = with_end_dates(OPENAI, {"no_new_jobs_from": None, "model_retirements": {}})
    assert removed.end_dates.open_on(date(2030, 1, 1))
    moved = with_end_dates(AZURE, {"model_retirements": {"gpt-4o-2024-08-06": "2027-06-01"}})
    assert moved.end_dates.model_retirements["gpt-4o-2024-08-06"] == date(2027, 6, 1)
    assert moved.end_dates.model_retirements["gpt-4.1-2025-04-14"] == date(2027, 4, 14)


def catalogue(*, azure: bool, chosen: str | None = None) -> Catalogue:
    return Catalogue(
        offers={"openai": Offer(OPENAI, configured=True), "azure": Offer(AZURE, configured=azure)},
        chosen_default=chosen,
    )


def test_the_default_provider_moves_on_when_openai_closes() -> None:
    assert catalogue(azure=True).default(BEFORE) == "openai"
    assert catalogue(azure=True).default(CLOSING) == "azure"
    # With nowhere else to go the default stays, and its jobs get the reason (not a 202).
    assert catalogue(azure=False).default(CLOSING) == "openai"
    assert catalogue(azure=True, chosen="openai").default(AFTER) == "openai"  # the operator's


def test_a_destination_names_what_stops_a_job() -> None:
    [unknown] = catalogue(azure=True).destination("fireworks", BEFORE).errors
    assert (unknown.code, unknown.path) == ("unknown_provider", "/provider")
    assert "openai, azure" in unknown.message
    [unset] = catalogue(azure=False).destination("azure", BEFORE).errors
    assert unset.code == "provider_not_configured"
    assert "FTJOBS_AZURE_OPENAI_ENDPOINT" in unset.message
    chosen = catalogue(azure=True).destination(None, CLOSING)
    assert (chosen.info.name, chosen.errors) == ("azure", ())
    assert chosen.check("dpo", "gpt-4.1-mini-2025-04-14", {"training_type": "standard"}) == []
    # A second stage's destination leaves end dates to the provider itself.
    assert Destination.chosen("openai").check("dpo", "ft:gpt-4.1-2025-04-14:o::x", {}) == []


# --- Together AI ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {
            "n_epochs": 3,
            "batch_size": "max",
            "learning_rate": 1e-5,
            "beta": 0.1,
            "rpo_alpha": 0,
            "simpo_gamma": 0.5,
            "dpo_normalize_logratios_by_length": True,
            "dpo_reference_free": False,
            "training_type": "full",
            "n_checkpoints": 2,
            "warmup_ratio": 1,
        },
        {"batch_size": 16, "training_type": "lora", "lora_r": 8, "lora_alpha": 16},
        {"lora_dropout": 0.0, "n_evals": 0},
        {},
    ],
)
def test_togethers_hyperparameters_in_range_pass(values: dict[str, Any]) -> None:
    assert check_hyperparameters(TOGETHER, "dpo", values, has_validation=False) == []


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"batch_size": "min"}, '"max" or an integer >= 1'),
        ({"learning_rate": 0}, "a number > 0"),
        ({"rpo_alpha": -0.1}, "a number >= 0"),
        ({"dpo_reference_free": "yes"}, "true or false"),
        ({"dpo_normalize_logratios_by_length": 1}, "true or false"),
        ({"training_type": "qlora"}, "one of lora, full"),
        ({"lora_dropout": 1}, "< 1"),
        ({"warmup_ratio": 1.5}, "<= 1"),
        ({"beta": "auto"}, "a number > 0"),  # Together has no "auto"
    ],
)
def test_togethers_hyperparameters_out_of_range_say_what_they_take(
    values: dict[str, Any], words: str
) -> None:
    [error] = check_hyperparameters(TOGETHER, "dpo", values)
    assert error.code == "hyperparameter_out_of_range" and words in error.message


def test_a_learning_rate_multiplier_is_refused_with_the_reason() -> None:
    [error] = check_hyperparameters(TOGETHER, "dpo", {"learning_rate_multiplier": 2})
    assert (error.code, error.path) == (
        "hyperparameter_refused",
        "/hyperparameters/learning_rate_multiplier",
    )
    assert "no learning-rate multiplier" in error.message and "learning_rate" in error.message


def test_evaluations_need_a_validation_dataset() -> None:
    [error] = check_hyperparameters(TOGETHER, "dpo", {"n_evals": 3}, has_validation=False)
    assert (error.code, error.path) == ("needs_validation_dataset", "/hyperparameters/n_evals")
    assert check_hyperparameters(TOGETHER, "dpo", {"n_evals": 3}, has_validation=True) == []


def test_dpo_only_hyperparameters_are_unknown_to_an_sft_job() -> None:
    [error] = check_hyperparameters(TOGETHER, "sft", {"rpo_alpha": 0.5})
    assert error.code == "unknown_hyperparameter"


def test_together_is_third_in_the_default_order_and_listed() -> None:
    offers = {
        "openai": Offer(OPENAI, configured=False),
        "azure": Offer(AZURE, configured=False),
        "together": Offer(TOGETHER, configured=True),
    }
    assert Catalogue(offers).default(date(2026, 12, 1)) == "together"
    assert PROVIDERS["together"] is TOGETHER
    assert not TOGETHER.capabilities.pause_resume and TOGETHER.capabilities.cancel
