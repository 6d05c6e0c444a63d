"""A corpus of rows around each provider's rules, shared by the rule tests and the agreement
tests (validator verdict against each provider emulator's file check)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

Row = dict[str, Any]
Edit = Callable[[Row], None]


def assistant(content: Any = "Paris.") -> Row:
    return {"role": "assistant", "content": content}


def dpo_row() -> Row:
    return {
        "input": {
            "messages": [
                {"role": "system", "content": "Answer in one word."},
                {"role": "user", "content": "Capital of France?"},
            ]
        },
        "preferred_output": [assistant("Paris.")],
        "non_preferred_output": [assistant("Lyon.")],
    }


def sft_row() -> Row:
    return {
        "messages": [
            {"role": "user", "content": "Capital of France?"},
            {"role": "assistant", "content": "Paris."},
        ]
    }


CALL = {"id": "c1", "type": "function", "function": {"name": "look", "arguments": "{}"}}


def _put(path: str, value: Any) -> Edit:
    def edit(row: Row) -> None:
        *parents, last = path.split(".")
        target: Any = row
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return edit


def _drop(path: str) -> Edit:
    def edit(row: Row) -> None:
        *parents, last = path.split(".")
        target: Any = row
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        del target[last]

    return edit


def _insert_message(message: Row) -> Edit:
    return lambda row: row["input"]["messages"].insert(0, message)


# name -> the edit of a good row; each names one rule of at least one provider.
DPO_EDITS: dict[str, Edit] = {
    "good": lambda row: None,
    "output_content_parts": _put(
        "preferred_output.0.content", [{"type": "text", "text": "Paris."}]
    ),
    "two_assistant_outputs": _put("non_preferred_output", [assistant("Lyon."), assistant("No.")]),
    "assistant_and_tool_output": _put(
        "preferred_output",
        [
            {"role": "assistant", "content": "", "tool_calls": [CALL]},
            {"role": "tool", "content": "{}", "tool_call_id": "c1"},
        ],
    ),
    "tool_only_output": _put("preferred_output", [{"role": "tool", "content": "{}"}]),
    "empty_output_list": _put("preferred_output", []),
    "output_role_user": _put("preferred_output.0.role", "user"),
    "output_content_null": _put("preferred_output.0.content", None),
    "output_content_missing": _drop("preferred_output.0.content"),
    "output_tool_calls_with_text": _put("preferred_output.0.tool_calls", [CALL]),
    "output_tool_calls_without_content": _put(
        "preferred_output", [{"role": "assistant", "tool_calls": [CALL]}]
    ),
    "output_extra_weight": _put("preferred_output.0.weight", 1),
    "output_name": _put("preferred_output.0.name", "bot"),
    "output_not_object": _put("preferred_output", ["Paris."]),
    "input_role_tool": _insert_message({"role": "tool", "content": "{}", "tool_call_id": "c1"}),
    "input_role_function": _insert_message({"role": "function", "name": "f", "content": "{}"}),
    "input_role_developer": _insert_message({"role": "developer", "content": "Be brief."}),
    "input_role_unknown": _insert_message({"role": "robot", "content": "beep"}),
    "input_without_role": _insert_message({"content": "who?"}),
    "input_content_parts": _put(
        "input.messages.1.content", [{"type": "text", "text": "Capital of France?"}]
    ),
    "input_content_null": _put("input.messages.0.content", None),
    "input_messages_empty": _put("input.messages", []),
    "input_messages_object": _put("input.messages", {"role": "user"}),
    "input_not_object": _put("input", "Capital of France?"),
    "missing_input": _drop("input"),
    "missing_non_preferred": _drop("non_preferred_output"),
    "special_token_in_output": _put("preferred_output.0.content", "Paris.<|endoftext|>"),
    "special_token_in_input": _put("input.messages.1.content", "<|fim_suffix|>France?"),
    "input_tools": _put(
        "input.tools", [{"type": "function", "function": {"name": "look", "parameters": {}}}]
    ),
}

SFT_EDITS: dict[str, Edit] = {
    "good": lambda row: None,
    "last_user": lambda row: row["messages"].append({"role": "user", "content": "More?"}),
    "weight_on_user": _put("messages.0.weight", 0),
    "weight_two": _put("messages.1.weight", 2),
    "weight_zero_on_assistant": _put("messages.1.weight", 0),
    "tool_turn": lambda row: row["messages"].insert(
        1, {"role": "tool", "content": "{}", "tool_call_id": "c1"}
    ),
    "function_turn": lambda row: row["messages"].insert(
        1, {"role": "function", "name": "f", "content": "{}"}
    ),
    "content_parts": _put("messages.0.content", [{"type": "text", "text": "Capital?"}]),
    "assistant_tool_call_no_content": lambda row: row["messages"].insert(
        1, {"role": "assistant", "tool_calls": [CALL]}
    ),
    "missing_messages": _drop("messages"),
    "empty_messages": _put("messages", []),
    "special_token": _put("messages.1.content", "Paris<|endoftext|>"),
}

# Lines that are not JSON objects at all.
BROKEN_LINES = [b'{"input": ', b"[1, 2]", b'"text"', b"NaN"]


def edited(base: Row, edit: Edit) -> Row:
    row = copy.deepcopy(base)
    edit(row)
    return row


def dpo_cases() -> dict[str, Row]:
    return {name: edited(dpo_row(), edit) for name, edit in DPO_EDITS.items()}


def sft_cases() -> dict[str, Row]:
    return {name: edited(sft_row(), edit) for name, edit in SFT_EDITS.items()}
