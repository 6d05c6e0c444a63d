"""Together's dataset rules, run on bytes alone (no server): the first broken rule as (line,
JSON pointer, message), or None."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from service.emulators.together.dataset_rules import Problem, first_problem
from tests.emulators.together.helpers import dpo_row, jsonl, sft_row

Edit = Callable[[dict[str, Any]], None]


def _broken(rows: list[dict[str, Any]], edit: Edit, at: int = 1) -> bytes:
    rows = copy.deepcopy(rows)
    edit(rows[at])
    return jsonl(rows)


DPO = [dpo_row(index) for index in range(3)]
SFT = [sft_row(index) for index in range(3)]


def test_good_files_have_no_problem() -> None:
    assert first_problem(jsonl(DPO), "dpo") is None
    assert first_problem(jsonl(SFT), "sft") is None


def test_one_example_is_enough_and_blank_lines_are_skipped() -> None:
    assert first_problem(b"\n" + jsonl(DPO[:1]) + b"\n  \n", "dpo") is None


@pytest.mark.parametrize("content", [b"", b"\n\n   \n"])
def test_a_file_without_examples(content: bytes) -> None:
    problem = first_problem(content, "dpo")
    assert problem is not None
    assert (problem.line, problem.path) == (None, "")
    assert "at least 1" in problem.message


def test_line_numbers_count_blank_lines_too() -> None:
    content = jsonl(DPO[:1]) + b"\n" + b'["not", "an", "object"]\n'
    assert first_problem(content, "dpo") == Problem(3, "", "must be a JSON object")


def test_invalid_json_names_the_line() -> None:
    problem = first_problem(jsonl(SFT[:1]) + b"{oops\n", "sft")
    assert problem is not None
    assert (problem.line, problem.path) == (2, "")
    assert problem.message.startswith("not valid JSON")


@pytest.mark.parametrize(
    ("edit", "path", "message"),
    [
        (lambda row: row.pop("input"), "/input", "is missing"),
        (lambda row: row.update(input=[]), "/input", "must be an object"),
        (lambda row: row["input"].update(messages=[]), "/input/messages", "must be a non-empty"),
        (lambda row: row["input"].pop("messages"), "/input/messages", "is missing"),
        (
            lambda row: row["input"]["messages"].append("hi"),
            "/input/messages/2",
            "must be a message",
        ),
        (
            lambda row: row["input"]["messages"][1].update(role="tool"),
            "/input/messages/1/role",
            "must be one of system, user, assistant",
        ),
        (
            lambda row: row["input"]["messages"][0].update(content=None),
            "/input/messages/0/content",
            "must be a string",
        ),
        (lambda row: row.pop("preferred_output"), "/preferred_output", "is missing"),
        (
            lambda row: row["preferred_output"].append({"role": "assistant", "content": "x"}),
            "/preferred_output",
            "exactly one message",
        ),
        (
            lambda row: row.update(non_preferred_output={"role": "assistant", "content": "x"}),
            "/non_preferred_output",
            "exactly one message",
        ),
        (lambda row: row.update(preferred_output=["text"]), "/preferred_output/0", "message"),
        (
            lambda row: row["non_preferred_output"][0].update(role="user"),
            "/non_preferred_output/0/role",
            "must be 'assistant'",
        ),
        (
            lambda row: row["preferred_output"][0].update(content=[{"type": "text", "text": "x"}]),
            "/preferred_output/0/content",
            "must be a string",
        ),
    ],
)
def test_dpo_rules(edit: Edit, path: str, message: str) -> None:
    problem = first_problem(_broken(DPO, edit), "dpo")
    assert problem is not None
    assert (problem.line, problem.path) == (2, path)
    assert message in problem.message


def test_an_assistant_turn_may_open_the_dpo_input() -> None:
    row = dpo_row(0)
    row["input"]["messages"].insert(0, {"role": "assistant", "content": "Hello."})
    assert first_problem(jsonl([row]), "dpo") is None


@pytest.mark.parametrize(
    ("edit", "path", "message"),
    [
        (lambda row: row.pop("messages"), "/messages", "is missing"),
        (lambda row: row.update(messages="hi"), "/messages", "non-empty list"),
        (lambda row: row["messages"][0].update(role="developer"), "/messages/0/role", "one of"),
        (lambda row: row["messages"][1].update(content=None), "/messages/1/content", "string"),
        (
            lambda row: row["messages"].pop(1),
            "/messages",
            "at least one message from the assistant",
        ),
    ],
)
def test_sft_rules(edit: Edit, path: str, message: str) -> None:
    problem = first_problem(_broken(SFT, edit), "sft")
    assert problem is not None
    assert (problem.line, problem.path) == (2, path)
    assert message in problem.message


def test_tool_messages_are_sft_only() -> None:
    row = sft_row(0)
    row["messages"].insert(1, {"role": "tool", "content": "42"})
    assert first_problem(jsonl([row]), "sft") is None
    dpo = dpo_row(0)
    dpo["input"]["messages"].append({"role": "tool", "content": "42"})
    problem = first_problem(jsonl([dpo]), "dpo")
    assert problem is not None
    assert problem.path == "/input/messages/2/role"


def test_the_format_must_match_the_method() -> None:
    sft_as_dpo = first_problem(jsonl(SFT), "dpo")
    dpo_as_sft = first_problem(jsonl(DPO), "sft")
    assert sft_as_dpo == Problem(1, "/input", "is missing")
    assert dpo_as_sft == Problem(1, "/messages", "is missing")


def test_only_the_first_problem_is_reported() -> None:
    rows = copy.deepcopy(DPO)
    rows[2].pop("input")
    rows[1]["preferred_output"] = []
    problem = first_problem(jsonl(rows), "dpo")
    assert problem is not None
    assert (problem.line, problem.path) == (2, "/preferred_output")


def test_describe_names_the_line_and_the_path() -> None:
    assert Problem(4, "/input", "is missing").describe() == "line 4 at /input: is missing"
    assert Problem(None, "", "empty").describe() == "the file: empty"
