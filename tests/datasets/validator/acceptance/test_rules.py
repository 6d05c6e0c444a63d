"""Each provider's rules, one row at a time (pure), and the cheap path for plain rows."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from service.datasets.validator.acceptance.plain import accepted_everywhere
from service.datasets.validator.acceptance.rules import PROVIDERS, Problem, line_problem
from service.datasets.validator.row.typed import DPO_DECODER, SFT_DECODER
from tests.datasets.validator.acceptance.cases import (
    BROKEN_LINES,
    dpo_cases,
    sft_cases,
)

DPO = dpo_cases()
SFT = sft_cases()


def _verdicts(row: Any, kind: str = "dpo") -> dict[str, Problem | None]:
    raw = json.dumps(row).encode()
    return {p: line_problem(raw, p, kind) for p in PROVIDERS}  # type: ignore[arg-type]


def _accepted_by(row: Any, kind: str = "dpo") -> set[str]:
    return {p for p, problem in _verdicts(row, kind).items() if problem is None}


@pytest.mark.parametrize(
    ("case", "accepted"),
    [
        ("good", {"openai", "azure", "together"}),
        ("output_content_parts", set()),
        ("two_assistant_outputs", {"azure"}),
        ("assistant_and_tool_output", {"azure"}),
        ("tool_only_output", set()),
        ("empty_output_list", set()),
        ("output_role_user", set()),
        ("output_content_null", set()),
        ("output_tool_calls_with_text", {"openai", "azure", "together"}),
        ("output_tool_calls_without_content", set()),
        ("output_extra_weight", {"together"}),
        ("output_name", {"openai", "azure", "together"}),
        ("input_role_tool", {"openai", "azure"}),
        ("input_role_function", {"openai", "azure"}),
        ("input_role_developer", set()),
        ("input_content_parts", {"openai", "azure"}),
        ("input_content_null", {"openai", "azure"}),
        ("input_messages_empty", set()),
        ("missing_input", set()),
        ("special_token_in_output", {"together"}),
        ("special_token_in_input", {"together"}),
        ("input_tools", {"openai", "azure", "together"}),
    ],
)
def test_who_accepts_each_dpo_row(case: str, accepted: set[str]) -> None:
    assert _accepted_by(DPO[case]) == accepted


@pytest.mark.parametrize(
    ("case", "accepted"),
    [
        ("good", {"openai", "azure", "together"}),
        ("last_user", {"together"}),
        ("weight_on_user", {"together"}),
        ("weight_two", {"together"}),
        ("weight_zero_on_assistant", {"openai", "azure", "together"}),
        ("tool_turn", {"openai", "azure", "together"}),
        ("function_turn", {"openai", "azure"}),
        ("content_parts", {"openai", "azure"}),
        ("assistant_tool_call_no_content", {"openai", "azure"}),
        ("empty_messages", set()),
        ("special_token", {"together"}),
    ],
)
def test_who_accepts_each_sft_row(case: str, accepted: set[str]) -> None:
    assert _accepted_by(SFT[case], "sft") == accepted


def test_problems_name_the_path_of_what_is_refused() -> None:
    two = _verdicts(DPO["two_assistant_outputs"])
    assert two["together"] == Problem(
        "/non_preferred_output", "must be a list of exactly one assistant message"
    )
    parts = _verdicts(DPO["output_content_parts"])
    assert {p.path for p in parts.values() if p} == {"/preferred_output/0/content"}
    assert _verdicts(DPO["special_token_in_input"])["openai"] == Problem(
        "/input/messages/1/content", "the text holds the special token <|fim_suffix|>"
    )
    assert _verdicts(DPO["output_extra_weight"])["openai"] == Problem(
        "/preferred_output/0/weight", "the field 'weight' is not allowed"
    )
    assert _verdicts(DPO["input_role_tool"])["together"] == Problem(
        "/input/messages/0/role", "the role must be one of system, user, assistant"
    )


@pytest.mark.parametrize("raw", BROKEN_LINES)
def test_a_line_that_is_no_json_object_is_refused_everywhere(raw: bytes) -> None:
    for provider in PROVIDERS:
        found = line_problem(raw, provider, "dpo")
        assert found is not None and found.path is None


@pytest.mark.parametrize(("kind", "rows"), [("dpo", DPO), ("sft", SFT)])
def test_the_plain_path_accepts_only_rows_every_provider_accepts(
    kind: str, rows: dict[str, Any]
) -> None:
    decoder = DPO_DECODER if kind == "dpo" else SFT_DECODER
    plain = set()
    for name, row in rows.items():
        try:
            typed = decoder.decode(json.dumps(row).encode())
        except msgspec.ValidationError:
            continue
        if accepted_everywhere(typed):
            plain.add(name)
            assert _accepted_by(row, kind) == set(PROVIDERS), name
    assert "good" in plain  # the common row takes the cheap path
