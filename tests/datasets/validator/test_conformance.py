"""The conformance table: one file per case, and the exact (line, code) findings it must give.

Lines are physical lines of the file; None marks a file-level finding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.datasets.helpers import (
    DELETE,
    STOCK_TOOL,
    call,
    dpo,
    edit,
    findings,
    good,
    jsonl,
    msg,
    run,
    with_row,
)

Expected = list[tuple[int | None, str]]


class Case(NamedTuple):
    id: str
    data: bytes
    expected: Expected
    valid: bool


def bad(case_id: str, row: Any, *codes: str, at: int = 10) -> Case:
    """Ten rows, one of them (`at`) broken: exactly `codes` at that line, file invalid."""
    return Case(case_id, jsonl(with_row(row, at=at)), [(at, c) for c in codes], False)


def warn(case_id: str, row: Any, *codes: str, at: int = 10) -> Case:
    """Ten rows, one with warnings only: the file stays valid."""
    return Case(case_id, jsonl(with_row(row, at=at)), [(at, c) for c in codes], True)


def ok(case_id: str, rows: list[Any]) -> Case:
    return Case(case_id, jsonl(rows), [], True)


ROW = dpo(10)
TOOL_ROW = dpo(10, tools=[STOCK_TOOL])
CALL_OUT = {"role": "assistant", "tool_calls": [call()]}


def tool_row(**fn: Any) -> dict[str, Any]:
    tool = json.loads(json.dumps(STOCK_TOOL))
    tool["function"].update(fn)
    return dpo(10, tools=[tool])


def called(arguments: str, name: str = "get_stock_price", tools: bool = True) -> dict[str, Any]:
    row = dpo(10, tools=[STOCK_TOOL] if tools else None)
    row["preferred_output"] = [{"role": "assistant", "tool_calls": [call(name, arguments)]}]
    return row


def tool_conversation(tool_call_id: Any) -> dict[str, Any]:
    row = dpo(10, tools=[STOCK_TOOL])
    tool_msg: dict[str, Any] = {"role": "tool", "content": '{"price": 1}'}
    if tool_call_id is not DELETE:
        tool_msg["tool_call_id"] = tool_call_id
    row["input"]["messages"] += [CALL_OUT, tool_msg, msg("user", "and?")]
    return row


VALID = [
    ok("valid_minimal", good()),
    ok("valid_no_system", [dpo(i, system=None) for i in range(10)]),
    ok("valid_text_parts", with_row(dpo(10, pref=[{"type": "text", "text": "Four."}]))),
    ok(
        "valid_multi_turn_input",
        with_row(
            edit(
                ROW,
                "input/messages",
                [msg("user", "hi"), msg("assistant", "hello"), msg("user", "2+2?")],
            )
        ),
    ),
    ok(
        "valid_weight_on_input_assistant",
        with_row(
            edit(
                ROW,
                "input/messages",
                [
                    msg("user", "hi"),
                    {**msg("assistant", "hello"), "weight": 0},
                    msg("user", "2+2?"),
                ],
            )
        ),
    ),
    ok("valid_tool_call_output", with_row(called('{"symbol": "GS", "days": 2}'))),
    ok("valid_tool_conversation", with_row(tool_conversation("c1"))),
    ok("valid_parallel_tool_calls", with_row(edit(TOOL_ROW, "input/parallel_tool_calls", False))),
    ok("valid_unicode", with_row(dpo(10, pref="Vier. 四。 🙂", nonpref="Keine Ahnung. 不知道"))),
    ok("valid_escaped_quote_colon", with_row(dpo(10, pref='He said "note": done', nonpref="no"))),
    ok(
        "valid_null_content_with_tool_calls",
        with_row(edit(called('{"symbol": "A"}'), "preferred_output/0/content", None)),
    ),
    ok("valid_thousand_rows", good(1000)),
    Case("valid_crlf", jsonl(good()).replace(b"\n", b"\r\n"), [(1, "crlf_line_endings")], True),
    Case(
        "valid_missing_final_newline", jsonl(good(), end=b""), [(10, "missing_final_newline")], True
    ),
]

JSONL = [
    Case("blank_line_middle", jsonl([*good(5), "", *good(5, 5)]), [(6, "blank_line")], True),
    Case("blank_line_trailing", jsonl(good(), end=b"\n\n"), [(11, "blank_line")], True),
    Case("whitespace_line", jsonl([*good(5), "   \t", *good(5, 5)]), [(6, "blank_line")], True),
    Case("utf8_bom", b"\xef\xbb\xbf" + jsonl(good()), [(1, "utf8_bom")], False),
    Case("too_few_examples", jsonl(good(9)), [(None, "too_few_examples")], False),
    Case("one_example", jsonl(good(1)), [(None, "too_few_examples")], False),
    Case("empty_file", b"", [(None, "empty_file")], False),
    Case(
        "only_blank_lines",
        b"\n\n",
        [(None, "empty_file"), (1, "blank_line"), (2, "blank_line")],
        False,
    ),
    bad("invalid_json_garbage", "this is not json", "invalid_json"),
    bad("invalid_json_truncated", '{"input": {"messages": [', "invalid_json"),
    bad("invalid_json_trailing_comma", '{"input": {},}', "invalid_json"),
    bad("invalid_json_single_quotes", "{'input': {}}", "invalid_json"),
    bad("nan", json.dumps(ROW)[:-1] + ', "score": NaN}', "nan_or_infinity"),
    bad("infinity", json.dumps(ROW)[:-1] + ', "score": Infinity}', "nan_or_infinity"),
    bad("minus_infinity", json.dumps(ROW)[:-1] + ', "score": -Infinity}', "nan_or_infinity"),
    bad("invalid_utf8", json.dumps(ROW).encode().replace(b"2 + 2", b"2 \xff 2"), "invalid_utf8"),
    bad("lone_surrogate", json.dumps(ROW).replace("2 + 2", "2 \\ud800 2"), "invalid_json"),
    bad(
        "duplicate_key_top", json.dumps(ROW)[:-1] + ', "input": {"messages": []}}', "duplicate_key"
    ),
    bad(
        "duplicate_key_role",
        json.dumps(ROW).replace('"role": "user"', '"role": "user", "role": "system"', 1),
        "duplicate_key",
    ),
    bad(
        "duplicate_key_spaced",
        json.dumps(ROW).replace('"role": "user"', '"role" : "user", "role" : "user"', 1),
        "duplicate_key",
    ),
    bad("not_an_object_array", "[1, 2, 3]", "not_an_object", at=5),
    bad("not_an_object_string", '"hello"', "not_an_object"),
    bad("not_an_object_null", "null", "not_an_object"),
    bad("nesting_too_deep", '{"input": ' + "[" * 10_000 + "]" * 10_000 + "}", "nesting_too_deep"),
    Case("json_array_one_line", json.dumps(good()).encode(), [(1, "json_array_not_jsonl")], False),
    Case(
        "json_array_pretty",
        json.dumps(good(), indent=2).encode(),
        [(1, "json_array_not_jsonl")],
        False,
    ),
    Case(
        "pretty_printed_objects",
        b"\n".join(json.dumps(r, indent=2).encode() for r in good()),
        [(1, "pretty_printed_json")],
        False,
    ),
]

STRUCTURE = [
    bad("sft_row_in_dpo", {"messages": [msg("user"), msg("assistant")]}, "sft_row_in_dpo"),
    bad("foreign_trl", {"prompt": "p", "chosen": "a", "rejected": "b"}, "foreign_format"),
    bad("foreign_sharegpt", {"conversations": [], "chosen": {}, "rejected": {}}, "foreign_format"),
    bad(
        "foreign_hh_rlhf",
        {"chosen": "\n\nHuman: q\n\nAssistant: a", "rejected": "\n\nHuman: q\n\nAssistant: b"},
        "foreign_format",
    ),
    bad(
        "foreign_argilla",
        {"instruction": "i", "chosen_response": "a", "rejected_response": "b"},
        "foreign_format",
    ),
    bad("missing_input", edit(ROW, "input", DELETE), "missing_field"),
    bad("missing_preferred", edit(ROW, "preferred_output", DELETE), "missing_field"),
    bad("missing_both_outputs", {"input": ROW["input"]}, "missing_field", "missing_field"),
    bad("input_not_object", edit(ROW, "input", "hi"), "wrong_type"),
    bad("messages_missing", edit(ROW, "input/messages", DELETE), "missing_field"),
    bad("messages_empty", edit(ROW, "input/messages", []), "empty_messages"),
    bad("messages_not_list", edit(ROW, "input/messages", {"role": "user"}), "wrong_type"),
    bad("message_not_object", edit(ROW, "input/messages/1", "hi"), "wrong_type"),
    bad("role_missing", edit(ROW, "input/messages/1/role", DELETE), "missing_field"),
    bad("role_invalid", edit(ROW, "input/messages/1/role", "human"), "invalid_role"),
    bad("role_not_string", edit(ROW, "input/messages/1/role", 1), "wrong_type"),
    bad("role_developer", edit(ROW, "input/messages/0/role", "developer"), "invalid_role"),
    warn("unknown_field_message", edit(ROW, "input/messages/1/refusal", None), "unknown_field"),
    warn("unknown_field_row", edit(ROW, "metadata", {"a": 1}), "unknown_field"),
    warn("unknown_field_output_weight", edit(ROW, "preferred_output/0/weight", 1), "unknown_field"),
    bad(
        "old_spec_names",
        {
            "input": ROW["input"],
            "preferred_completion": ROW["preferred_output"],
            "non_preferred_completion": ROW["non_preferred_output"],
        },
        "missing_field",
        "missing_field",
        "unknown_field",
        "unknown_field",
    ),
    bad(
        "outputs_two_messages",
        edit(ROW, "preferred_output", [msg("assistant", "a")] * 2),
        "output_count",
    ),
    bad("outputs_empty_list", edit(ROW, "non_preferred_output", []), "output_count"),
    bad("outputs_not_list", edit(ROW, "preferred_output", msg("assistant")), "wrong_type"),
    bad("output_role_user", edit(ROW, "preferred_output/0/role", "user"), "output_role"),
    bad(
        "output_without_text",
        edit(ROW, "preferred_output/0/content", DELETE),
        "output_without_text",
    ),
    bad(
        "output_null_content",
        edit(ROW, "non_preferred_output/0/content", None),
        "output_without_text",
    ),
    bad("empty_output", dpo(10, pref=""), "empty_output"),
    bad("whitespace_output", dpo(10, nonpref="  \n\t"), "empty_output"),
    bad("empty_text_parts", dpo(10, pref=[]), "empty_output"),
    bad("content_wrong_type", edit(ROW, "input/messages/1/content", 42), "wrong_type"),
    bad(
        "content_part_no_text",
        edit(ROW, "input/messages/1/content", [{"type": "text"}]),
        "invalid_content_part",
    ),
    bad(
        "content_part_unknown_type",
        edit(ROW, "input/messages/1/content", [{"type": "video", "video": {}}]),
        "invalid_content_part",
    ),
    bad(
        "content_part_not_object",
        edit(ROW, "input/messages/1/content", ["hi"]),
        "invalid_content_part",
    ),
    bad(
        "image_in_dpo",
        edit(
            ROW,
            "input/messages/1/content",
            [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}],
        ),
        "non_text_content",
    ),
    bad(
        "audio_in_dpo",
        edit(ROW, "input/messages/1/content", [{"type": "input_audio", "input_audio": {}}]),
        "non_text_content",
    ),
    bad("weight_on_user", edit(ROW, "input/messages/1/weight", 1), "invalid_weight"),
    bad(
        "weight_not_binary",
        edit(
            ROW,
            "input/messages",
            [msg("user", "a"), {**msg("assistant", "b"), "weight": 2}, msg("user", "c")],
        ),
        "invalid_weight",
    ),
    bad(
        "input_ends_with_assistant",
        edit(ROW, "input/messages/1/role", "assistant"),
        "input_ends_with_assistant",
        "input_without_user",
    ),
    warn(
        "input_without_user",
        edit(ROW, "input/messages", [msg("system", "s"), msg("tool", "t") | {"tool_call_id": "x"}]),
        "input_without_user",
        "tool_call_id_unknown",
    ),
    bad("user_without_content", edit(ROW, "input/messages/1/content", DELETE), "missing_content"),
    bad("special_token", dpo(10, pref="four<|endoftext|>"), "special_token"),
    bad(
        "special_token_fim",
        edit(ROW, "input/messages/1/content", "x <|fim_suffix|> y"),
        "special_token",
    ),
    bad(
        "many_problems_one_line",
        edit(edit(ROW, "input/messages/0/role", "bot"), "preferred_output", []),
        "invalid_role",
        "output_count",
    ),
]

SEMANTIC = [
    bad("identical_outputs", dpo(10, pref="Same.", nonpref="Same."), "identical_outputs"),
    warn(
        "identical_after_whitespace",
        dpo(10, pref="Four,  of course.\n", nonpref="Four, of\tcourse."),
        "identical_outputs_whitespace",
    ),
    warn(
        "output_is_prefix",
        dpo(10, pref="The answer is 4, because 2 + 2 = 4.", nonpref="The answer is 4"),
        "output_is_prefix",
    ),
    warn("preferred_is_prefix", dpo(10, pref="Yes", nonpref="Yes, and more."), "output_is_prefix"),
    warn(
        "output_repeats_input",
        dpo(10, pref="What is 2 + 2?\n(question 10)"),
        "output_repeats_input",
    ),
    warn(
        "both_outputs_repeat_input",
        dpo(10, pref="What is 2 + 2? (question 10)", nonpref=" What is 2 + 2?  (question 10)"),
        "identical_outputs_whitespace",
        "output_repeats_input",
        "output_repeats_input",
    ),
    Case(
        "preference_cycle",
        jsonl([*good(), dpo(2, pref="A.", nonpref="B."), dpo(2, pref="B.", nonpref="C.")])
        + jsonl([dpo(2, pref="C.", nonpref="A.")]),
        [(13, "preference_cycle")],
        True,
    ),
    Case(
        "preferences_that_order",
        jsonl([*good(), dpo(2, pref="A.", nonpref="B."), dpo(2, pref="B.", nonpref="C.")])
        + jsonl([dpo(2, pref="A.", nonpref="C.")]),
        [],
        True,
    ),
    Case("duplicate_row", jsonl([*good(), dpo(3)]), [(11, "duplicate_row")], True),
    Case(
        "duplicate_rows_many",
        jsonl([*good(), dpo(3), dpo(4), dpo(3)]),
        [(11, "duplicate_row"), (12, "duplicate_row"), (13, "duplicate_row")],
        True,
    ),
    Case(
        "contradictory_pair",
        jsonl([*good(), dpo(2, pref="I don't know.", nonpref="The answer is 4.")]),
        [(11, "contradictory_pair")],
        True,
    ),
    Case(
        "not_contradictory_other_prompt",
        jsonl([*good(), dpo(99, pref="I don't know.", nonpref="The answer is 4.")]),
        [],
        True,
    ),
]

TOOLS = [
    bad(
        "tool_type_not_function", edit(TOOL_ROW, "input/tools/0/type", "retrieval"), "invalid_tool"
    ),
    bad("tool_without_function", edit(TOOL_ROW, "input/tools/0/function", DELETE), "invalid_tool"),
    bad("tool_name_invalid", tool_row(name="get stock price"), "invalid_tool_name"),
    bad("tool_name_too_long", tool_row(name="x" * 65), "invalid_tool_name"),
    bad("tool_name_duplicate", dpo(10, tools=[STOCK_TOOL, STOCK_TOOL]), "duplicate_tool_name"),
    bad(
        "tool_schema_not_object_type", tool_row(parameters={"type": "array"}), "invalid_tool_schema"
    ),
    bad(
        "tool_schema_invalid",
        tool_row(parameters={"type": "object", "properties": 5}),
        "invalid_tool_schema",
    ),
    bad("tool_schema_not_dict", tool_row(parameters="symbol: str"), "invalid_tool_schema"),
    bad("tools_not_list", edit(TOOL_ROW, "input/tools", STOCK_TOOL), "wrong_type"),
    bad(
        "parallel_tool_calls_not_bool",
        edit(TOOL_ROW, "input/parallel_tool_calls", "yes"),
        "wrong_type",
    ),
    bad(
        "call_undefined_function", called('{"symbol": "GS"}', name="get_weather"), "undefined_tool"
    ),
    bad("call_without_tools", called('{"symbol": "GS"}', tools=False), "undefined_tool"),
    bad("call_arguments_not_json", called("{symbol: GS}"), "tool_arguments_not_json"),
    bad("call_arguments_missing_required", called('{"days": 3}'), "tool_arguments_invalid"),
    bad(
        "call_arguments_wrong_type",
        called('{"symbol": "GS", "days": "three"}'),
        "tool_arguments_invalid",
    ),
    bad("call_arguments_extra", called('{"symbol": "GS", "x": 1}'), "tool_arguments_invalid"),
    bad(
        "call_malformed",
        edit(called("{}"), "preferred_output/0/tool_calls/0/id", DELETE),
        "invalid_tool_call",
    ),
    bad(
        "call_type_wrong",
        edit(called("{}"), "preferred_output/0/tool_calls/0/type", "fn"),
        "invalid_tool_call",
    ),
    warn("tool_message_unknown_id", tool_conversation("c9"), "tool_call_id_unknown"),
    bad("tool_message_without_id", tool_conversation(DELETE), "missing_field"),
]

MANY = [
    Case(
        "errors_on_many_lines",
        jsonl([*good(5), "x", *good(3, 5), "y", dpo(20, pref="")]),
        [(6, "invalid_json"), (10, "invalid_json"), (11, "empty_output")],
        False,
    ),
]

CASES = VALID + JSONL + STRUCTURE + SEMANTIC + TOOLS + MANY


def test_the_table_is_big_enough() -> None:
    assert len(CASES) + len(SFT_CASES) >= 80
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_dpo_case(case: Case, tmp_path: Path) -> None:
    report = run(tmp_path, case.data).report
    assert findings(report) == sorted(case.expected, key=lambda t: (t[0] or 0, t[1]))
    assert report.valid is case.valid
    assert report.errors_total == len(report.errors)
    assert report.warnings_total == len(report.warnings)


def sft_row(messages: list[Any], **extra: Any) -> dict[str, Any]:
    return {"messages": messages, **extra}


SFT_GOOD = [sft_row([msg("user", f"hi {i}"), msg("assistant", f"hello {i}")]) for i in range(10)]


def sft_case(case_id: str, row: Any, *codes: str, valid: bool = False) -> Case:
    rows: list[Any] = [*SFT_GOOD[:9], row]
    return Case(case_id, jsonl(rows), [(10, c) for c in codes], valid)


SFT_CASES = [
    Case("sft_valid", jsonl(SFT_GOOD), [], True),
    sft_case(
        "sft_image_allowed",
        sft_row(
            [
                msg("user", [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]),
                msg("assistant", "a cat"),
            ]
        ),
        valid=True,
    ),
    sft_case(
        "sft_weight_on_assistant",
        sft_row([msg("user", "a"), {**msg("assistant", "b"), "weight": 1}]),
        valid=True,
    ),
    sft_case("sft_last_not_assistant", sft_row([msg("user", "a")]), "sft_last_not_assistant"),
    sft_case("sft_dpo_row", dpo(1), "dpo_row_in_sft"),
    sft_case("sft_empty_messages", sft_row([]), "empty_messages"),
    sft_case(
        "sft_tool_call_undefined",
        sft_row([msg("user", "a"), {"role": "assistant", "tool_calls": [call()]}]),
        "undefined_tool",
    ),
    sft_case(
        "sft_tool_call_ok",
        sft_row(
            [msg("user", "a"), {"role": "assistant", "tool_calls": [call()]}], tools=[STOCK_TOOL]
        ),
        valid=True,
    ),
    sft_case("sft_duplicate_row", SFT_GOOD[0], "duplicate_row", valid=True),
]


@pytest.mark.parametrize("case", SFT_CASES, ids=[c.id for c in SFT_CASES])
def test_sft_case(case: Case, tmp_path: Path) -> None:
    report = run(tmp_path, case.data, kind="sft").report
    assert findings(report) == case.expected
    assert report.valid is case.valid
