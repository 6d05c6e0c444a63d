"""Job request rules (pure): hyperparameter ranges per API.md, model, suffix, seed, metadata."""

from __future__ import annotations

from typing import Any

import pytest

from service.jobs.rules import check_hyperparameters, check_metadata, check_model, check_request


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
    assert check_hyperparameters("dpo", values) == []


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
    errors = check_hyperparameters("dpo", values)
    assert [error.path for error in errors] == [path]


def test_beta_only_with_dpo() -> None:
    errors = check_hyperparameters("sft", {"beta": 0.1})
    assert [(e.code, e.path) for e in errors] == [
        ("unknown_hyperparameter", "/hyperparameters/beta")
    ]


def test_models() -> None:
    assert check_model("gpt-4.1-mini-2025-04-14") == []
    assert check_model("ft:gpt-4.1-mini-2025-04-14:org:x:abc12345") == []
    assert [e.code for e in check_model("gpt-2")] == ["unsupported_model"]


def test_metadata_limits_and_reserved_key() -> None:
    assert check_metadata({"team": "x"}) == []
    assert [e.code for e in check_metadata({"ftjobs_job_id": "x"})] == ["reserved_metadata_key"]
    assert [e.code for e in check_metadata({"k": "v" * 513})] == ["invalid_metadata"]
    assert [e.path for e in check_metadata({"a/b": "v" * 513})] == ["/metadata/a~1b"]
    too_many = {f"k{i}": "v" for i in range(16)}
    assert "too_much_metadata" in [e.code for e in check_metadata(too_many)]


def test_suffix_and_seed() -> None:
    base: dict[str, Any] = {
        "method": "dpo",
        "model": "gpt-4o-2024-08-06",
        "hyperparameters": {},
        "metadata": {},
    }
    assert check_request(**base, suffix="ok", seed=42) == []
    errors = check_request(**base, suffix="x" * 65, seed=2**31)
    assert sorted(e.path or "" for e in errors) == ["/seed", "/suffix"]
