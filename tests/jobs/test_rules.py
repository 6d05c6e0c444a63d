"""Job request rules every provider shares (pure): suffix, seed, metadata."""

from __future__ import annotations

from typing import Any

from service.jobs.rules import check_metadata, check_request
from service.providers.registry import AZURE


def test_metadata_limits_and_reserved_key() -> None:
    assert check_metadata({"team": "x"}) == []
    assert [e.code for e in check_metadata({"ftjobs_job_id": "x"})] == ["reserved_metadata_key"]
    assert [e.code for e in check_metadata({"k": "v" * 513})] == ["invalid_metadata"]
    assert [e.path for e in check_metadata({"a/b": "v" * 513})] == ["/metadata/a~1b"]
    too_many = {f"k{i}": "v" for i in range(16)}
    assert "too_much_metadata" in [e.code for e in check_metadata(too_many)]


def test_suffix_and_seed() -> None:
    base: dict[str, Any] = {"metadata": {}}
    assert check_request(**base, suffix="ok", seed=42) == []
    errors = check_request(**base, suffix="x" * 65, seed=2**31)
    assert sorted(e.path or "" for e in errors) == ["/seed", "/suffix"]


def test_a_provider_can_narrow_the_suffix() -> None:
    azure: dict[str, Any] = {"metadata": {}, "seed": None, "suffix_limit": AZURE.suffix_limit}
    assert check_request(**azure, suffix="prefs-v2_a") == []
    for bad in ("x" * 19, "has.dot", "spa ce"):
        [error] = check_request(**azure, suffix=bad)
        assert (error.code, error.path) == ("invalid_suffix", "/suffix")
        assert "18 characters of letters, digits, - and _" in error.message
