"""Tool definitions and calls: names, duplicates, calls answered by tool messages, and arguments
checked against a flat schema still worded by jsonschema."""

from __future__ import annotations

import json
from typing import Any

from service.datasets.validator.report import Issue
from service.datasets.validator.row.line import validate_line
from service.datasets.validator.row.tools import check_tool_ids, check_tools
from service.datasets.validator.row.typed import DPO_DECODER, Tool
from tests.datasets.helpers import STOCK_TOOL, call, dpo, edit, msg
from tests.datasets.validator.row.test_simple_schema import FLAT


def test_a_flat_schema_still_reports_bad_arguments() -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": FLAT}}
    bad = {"role": "assistant", "tool_calls": [call("f", '{"s": 5}')]}
    row = edit(dpo(1, tools=[tool]), "preferred_output/0", bad)
    found = validate_line(json.dumps(row).encode(), 1, "dpo")
    assert [(i.code, i.path) for i in found.issues] == [
        ("tool_arguments_invalid", "/preferred_output/0/tool_calls/0/function/arguments")
    ]
    good = edit(row, "preferred_output/0/tool_calls/0/function/arguments", '{"s": "x", "i": 2}')
    assert validate_line(json.dumps(good).encode(), 1, "dpo").issues == []


def _tools(*tools: Any) -> list[Tool]:
    found = DPO_DECODER.decode(json.dumps(dpo(1, tools=list(tools)))).input.tools
    assert isinstance(found, list)
    return found


def test_tool_names_must_be_valid_and_unique() -> None:
    spaced = {"type": "function", "function": {"name": "get price"}}
    out: list[Issue] = []
    box = check_tools(_tools(STOCK_TOOL, STOCK_TOOL, spaced), "/input/tools", 1, out)
    assert [(i.path, i.code) for i in out] == [
        ("/input/tools/1/function/name", "duplicate_tool_name"),
        ("/input/tools/2/function/name", "invalid_tool_name"),
    ]
    assert box.defined and sorted(box.schemas) == ["get price", "get_stock_price"]
    assert box.schemas["get price"] is None  # no parameters: any arguments


def test_a_tool_message_answers_an_earlier_call() -> None:
    answer = {"role": "tool", "content": "1", "tool_call_id": "c1"}
    row = edit(dpo(1), "input/messages", [msg("user"), msg("assistant", None), answer])
    row["input"]["messages"][1]["tool_calls"] = [call()]
    messages = DPO_DECODER.decode(json.dumps(row)).input.messages
    out: list[Issue] = []
    check_tool_ids(messages, "/input/messages", 1, out)
    assert out == []
    check_tool_ids([messages[0], messages[2]], "/input/messages", 1, out)
    assert [(i.path, i.code) for i in out] == [
        ("/input/messages/1/tool_call_id", "tool_call_id_unknown")
    ]
