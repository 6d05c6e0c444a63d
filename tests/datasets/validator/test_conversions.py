"""The conversion table: each source layout into OpenAI DPO through `ingest_file`, detected or
named, its first converted row exactly, every row that cannot go, and the validator's verdict on
the result."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, NamedTuple

import msgspec
import pytest

from service.datasets.validator import SourceFormat, ingest_file
from tests.datasets.helpers import dpo, findings, jsonl

U = {"role": "user", "content": "What is 2 + 2?"}
A_GOOD = {"role": "assistant", "content": "4."}
A_BAD = {"role": "assistant", "content": "5."}
SYS = {"role": "system", "content": "Be brief."}


def n_rows(row: dict[str, Any], n: int = 10) -> list[dict[str, Any]]:
    """n copies made distinct in their prompt text."""
    out = []
    for i in range(n):
        text = json.dumps(row).replace("2 + 2", f"{i} + 2")
        out.append(json.loads(text))
    return out


class Conv(NamedTuple):
    id: str
    data: bytes
    fmt: SourceFormat
    detected: str
    first: dict[str, Any] | None  # the first converted row, exactly
    dropped: list[tuple[int, str]]  # (source row, code)
    valid: bool


EXPECTED_SIMPLE = {
    "input": {"messages": [{"role": "user", "content": "What is 0 + 2?"}]},
    "preferred_output": [{"role": "assistant", "content": "4."}],
    "non_preferred_output": [{"role": "assistant", "content": "5."}],
}
SIDES = {"chosen": "4.", "rejected": "5."}
TRL_STD = {"prompt": "What is 2 + 2?", **SIDES}
TRL_IMPLICIT = {"chosen": "Q: What is 2 + 2? A: 4.", "rejected": "Q: What is 2 + 2? A: 5."}
TRL_CONV = {"prompt": [U], "chosen": [A_GOOD], "rejected": [A_BAD]}
TRL_CONV_IMPLICIT = {"chosen": [SYS, U, A_GOOD], "rejected": [SYS, U, A_BAD]}
ARGILLA = {
    "source": "x",
    "instruction": "What is 2 + 2?",
    "chosen_response": "4.",
    "rejected_response": "5.",
    "chosen_avg_rating": 5.0,
}
H4 = {
    "prompt": "What is 2 + 2?",
    "prompt_id": "abc",
    "chosen": [U, A_GOOD],
    "rejected": [U, A_BAD],
    "messages": [U, A_GOOD],
    "score_chosen": 9.0,
    "score_rejected": 2.0,
}
SHAREGPT = {
    "conversations": [{"from": "human", "value": "What is 2 + 2?"}],
    "chosen": {"from": "gpt", "value": "4."},
    "rejected": {"from": "gpt", "value": "5."},
}
SHAREGPT_SYS = {**SHAREGPT, "system": "Be brief."}
# Anthropic HH-RLHF: whole transcripts; "Human:" inside a reply (no blank line) is text.
HH_PROMPT = "\n\nHuman: What is 2 + 2?\n\nAssistant: Say Human: or not?\n\nHuman: Just answer."
HH = {"chosen": HH_PROMPT + "\n\nAssistant: 4.", "rejected": HH_PROMPT + "\n\nAssistant: 5."}
EXPECTED_HH = {
    "input": {
        "messages": [
            {"role": "user", "content": "What is 0 + 2?"},
            {"role": "assistant", "content": "Say Human: or not?"},
            {"role": "user", "content": "Just answer."},
        ]
    },
    "preferred_output": [{"role": "assistant", "content": "4."}],
    "non_preferred_output": [{"role": "assistant", "content": "5."}],
}


def conv_json_array(rows: list[Any]) -> bytes:
    return json.dumps(rows, indent=2).encode()


CONVERSIONS = [
    Conv("trl_standard_explicit", jsonl(n_rows(TRL_STD)), "trl", "trl", EXPECTED_SIMPLE, [], True),
    Conv(
        "trl_standard_explicit_auto",
        jsonl(n_rows(TRL_STD)),
        "auto",
        "trl",
        EXPECTED_SIMPLE,
        [],
        True,
    ),
    Conv(
        "trl_standard_implicit",
        jsonl(n_rows(TRL_IMPLICIT)),
        "auto",
        "trl",
        {
            "input": {"messages": [{"role": "user", "content": "Q: What is 0 + 2? A:"}]},
            "preferred_output": [{"role": "assistant", "content": " 4."}],
            "non_preferred_output": [{"role": "assistant", "content": " 5."}],
        },
        [],
        True,
    ),
    Conv(
        "trl_conversational_explicit",
        jsonl(n_rows(TRL_CONV)),
        "trl",
        "trl",
        EXPECTED_SIMPLE,
        [],
        True,
    ),
    Conv(
        "trl_conversational_implicit",
        jsonl(n_rows(TRL_CONV_IMPLICIT)),
        "auto",
        "trl",
        {
            "input": {"messages": [SYS, {"role": "user", "content": "What is 0 + 2?"}]},
            "preferred_output": [A_GOOD],
            "non_preferred_output": [A_BAD],
        },
        [],
        True,
    ),
    Conv(
        "trl_with_tools",
        jsonl(
            n_rows(
                {
                    **TRL_CONV,
                    "tools": [
                        {
                            "type": "function",
                            "function": {"name": "f", "parameters": {"type": "object"}},
                        }
                    ],
                }
            )
        ),
        "trl",
        "trl",
        None,
        [],
        True,
    ),
    Conv("hh_rlhf_auto", jsonl(n_rows(HH)), "auto", "hh-rlhf", EXPECTED_HH, [], True),
    Conv(
        "hh_rlhf_explicit_with_drops",
        jsonl(
            [
                *n_rows(HH),
                # The sides part before the last reply: two turns each after the prompt.
                {"chosen": HH["chosen"], "rejected": HH_PROMPT + "\n\nAssistant: 5.\n\nHuman: ?"},
                {"chosen": "Q: 2 + 2?\n\nAssistant: 4.", "rejected": HH["rejected"]},
                {"chosen": HH["chosen"], "rejected": None},
            ]
        ),
        "hh-rlhf",
        "hh-rlhf",
        EXPECTED_HH,
        [(11, "multi_turn_output"), (12, "not_converted"), (13, "not_converted")],
        False,
    ),
    Conv(
        # An empty last reply ("Assistant:" and nothing after it) converts, and the validator
        # then says what is wrong with it.
        "hh_rlhf_empty_reply",
        jsonl([*n_rows(HH, 9), {**HH, "rejected": HH_PROMPT + "\n\nAssistant:"}]),
        "hh-rlhf",
        "hh-rlhf",
        EXPECTED_HH,
        [],
        False,
    ),
    Conv(
        # Intel/orca_dpo_pairs: the prompt is `question`, with a system prompt (empty: none).
        "orca_pairs",
        jsonl(
            [
                *n_rows({"system": "Be brief.", "question": "What is 2 + 2?", **SIDES}),
                {"system": "", "question": "Q?", "chosen": "The answer is A", "rejected": "B"},
            ]
        ),
        "auto",
        "trl",
        {**EXPECTED_SIMPLE, "input": {"messages": [SYS, {**U, "content": "What is 0 + 2?"}]}},
        [],
        True,
    ),
    Conv(
        "trl_implicit_no_common_prefix",
        jsonl([*n_rows(TRL_STD, 9), {"chosen": "a", "rejected": "b"}]),
        "trl",
        "trl",
        EXPECTED_SIMPLE,
        [(10, "no_prompt")],
        False,
    ),
    Conv(
        "trl_multi_turn_output",
        jsonl(
            [*n_rows(TRL_CONV), {"prompt": [U], "chosen": [A_GOOD, U, A_GOOD], "rejected": [A_BAD]}]
        ),
        "trl",
        "trl",
        EXPECTED_SIMPLE,
        [(11, "multi_turn_output")],
        False,
    ),
    Conv(
        "trl_mixed_types",
        jsonl([*n_rows(TRL_STD), {"prompt": "p", "chosen": "a", "rejected": [A_BAD]}]),
        "trl",
        "trl",
        EXPECTED_SIMPLE,
        [(11, "not_converted")],
        False,
    ),
    Conv(
        "ultrafeedback_argilla",
        jsonl(n_rows(ARGILLA)),
        "ultrafeedback",
        "ultrafeedback",
        EXPECTED_SIMPLE,
        [],
        True,
    ),
    Conv(
        "ultrafeedback_argilla_auto",
        jsonl(n_rows(ARGILLA)),
        "auto",
        "ultrafeedback",
        EXPECTED_SIMPLE,
        [],
        True,
    ),
    Conv(
        "ultrafeedback_h4_auto",
        jsonl(n_rows(H4)),
        "auto",
        "ultrafeedback",
        EXPECTED_SIMPLE,
        [],
        True,
    ),
    Conv(
        "ultrafeedback_argilla_bad_row",
        jsonl(
            [
                *n_rows(ARGILLA),
                {"instruction": "i", "chosen_response": None, "rejected_response": "r"},
            ]
        ),
        "ultrafeedback",
        "ultrafeedback",
        EXPECTED_SIMPLE,
        [(11, "not_converted")],
        False,
    ),
    Conv(
        "sharegpt_jsonl", jsonl(n_rows(SHAREGPT)), "sharegpt", "sharegpt", EXPECTED_SIMPLE, [], True
    ),
    Conv(
        "sharegpt_array_auto",
        conv_json_array(n_rows(SHAREGPT)),
        "auto",
        "sharegpt",
        EXPECTED_SIMPLE,
        [],
        True,
    ),
    Conv(
        "sharegpt_system_column",
        jsonl(n_rows(SHAREGPT_SYS)),
        "auto",
        "sharegpt",
        {
            **EXPECTED_SIMPLE,
            "input": {"messages": [SYS, {"role": "user", "content": "What is 0 + 2?"}]},
        },
        [],
        True,
    ),
    Conv(
        "sharegpt_unknown_speaker",
        jsonl(
            [*n_rows(SHAREGPT), {**SHAREGPT, "conversations": [{"from": "narrator", "value": "x"}]}]
        ),
        "sharegpt",
        "sharegpt",
        EXPECTED_SIMPLE,
        [(11, "not_converted")],
        False,
    ),
    Conv(
        "sharegpt_chosen_from_human",
        jsonl([*n_rows(SHAREGPT), {**SHAREGPT, "chosen": {"from": "human", "value": "x"}}]),
        "sharegpt",
        "sharegpt",
        EXPECTED_SIMPLE,
        [(11, "not_converted")],
        False,
    ),
    Conv(
        "openai_array_auto",
        conv_json_array([dpo(i) for i in range(10)]),
        "auto",
        "openai",
        dpo(0),
        [],
        True,
    ),
    Conv(
        "openai_pretty_objects_auto",
        b"\n".join(json.dumps(dpo(i), indent=2).encode() for i in range(10)),
        "auto",
        "openai",
        dpo(0),
        [],
        True,
    ),
    Conv(
        "openai_bom_auto_repaired",
        b"\xef\xbb\xbf" + jsonl([dpo(i) for i in range(10)]),
        "auto",
        "openai",
        dpo(0),
        [],
        True,
    ),
    Conv(
        "openai_old_names_auto",
        conv_json_array(
            [
                {
                    "input": dpo(i)["input"],
                    "preferred_completion": dpo(i)["preferred_output"],
                    "non_preferred_completion": dpo(i)["non_preferred_output"],
                }
                for i in range(10)
            ]
        ),
        "auto",
        "openai",
        dpo(0),
        [],
        True,
    ),
    Conv(
        "auto_invalid_json_row",
        jsonl(["{oops", *n_rows(TRL_STD)]),
        "auto",
        "trl",
        EXPECTED_SIMPLE,
        [(1, "invalid_json")],
        False,
    ),
    Conv("auto_array_of_non_objects", b"[1, 2, 3]", "auto", "unknown", None, [], False),
    Conv(
        "auto_unknown_keys",
        jsonl([{"question": "q", "answer": "a"}] * 10),
        "auto",
        "unknown",
        None,
        [],
        False,
    ),
]


@pytest.mark.parametrize("case", CONVERSIONS, ids=[c.id for c in CONVERSIONS])
def test_conversion(case: Conv, tmp_path: Path) -> None:
    src = tmp_path / "source"
    src.write_bytes(case.data)
    out = io.BytesIO()
    result = ingest_file(src, out, fmt=case.fmt)
    assert result.detected_format == case.detected
    assert result.report.valid is case.valid, result.report.counts_by_code
    lines = out.getvalue().splitlines()
    if case.first is not None:
        assert msgspec.json.decode(lines[0]) == case.first
    conv = result.conversion
    assert conv is not None
    assert [(d.row, d.code) for d in conv.dropped] == case.dropped
    assert conv.rows_out == len(lines) == conv.rows_in - conv.dropped_total
    not_converted = result.report.counts_by_code.get("row_not_converted", 0)
    assert not_converted == len(case.dropped)


def test_unknown_format_is_reported(tmp_path: Path) -> None:
    src = tmp_path / "x.jsonl"
    src.write_bytes(jsonl([{"question": "q", "answer": "a"}] * 10))
    report = ingest_file(src, None, fmt="auto").report
    assert findings(report) == [(1, "unknown_format")]


def test_dropped_rows_are_capped_but_counted(tmp_path: Path) -> None:
    src = tmp_path / "x.jsonl"
    src.write_bytes(jsonl([*n_rows(TRL_STD), *[{"chosen": "a", "rejected": "b"}] * 50]))
    result = ingest_file(src, None, fmt="trl", cap_per_code=5)
    conv = result.conversion
    assert conv is not None
    assert conv.dropped_total == 50 and len(conv.dropped) == 5
    assert result.report.counts_by_code["row_not_converted"] == 50
    assert result.report.errors_total == 50


def test_hh_rlhf_empty_reply_is_reported_on_its_line(tmp_path: Path) -> None:
    src = tmp_path / "hh.jsonl"
    src.write_bytes(jsonl([*n_rows(HH, 9), {**HH, "rejected": HH_PROMPT + "\n\nAssistant:"}]))
    result = ingest_file(src, io.BytesIO(), fmt="auto", count_tokens=False)
    assert result.detected_format == "hh-rlhf"
    assert findings(result.report) == [(10, "empty_output")]


def test_fields_a_converter_drops_are_named_once_with_their_row_count(tmp_path: Path) -> None:
    rows = n_rows(TRL_STD)
    for i, row in enumerate(rows):
        row["loss_weight"] = 0.5
        if i < 3:
            row["id"] = i
    src = tmp_path / "trl.jsonl"
    src.write_bytes(jsonl(rows))
    result = ingest_file(src, io.BytesIO(), fmt="trl", count_tokens=False)
    assert result.report.valid
    assert findings(result.report) == [(None, "fields_dropped")]
    [warning] = result.report.warnings
    assert "id (3 rows)" in warning.message and "loss_weight (10 rows)" in warning.message
    assert result.conversion is not None and result.conversion.notes == [warning.message]


def test_a_conversion_keeping_every_field_says_nothing_of_fields(tmp_path: Path) -> None:
    src = tmp_path / "trl.jsonl"
    src.write_bytes(jsonl(n_rows(TRL_STD)))
    result = ingest_file(src, io.BytesIO(), fmt="trl", count_tokens=False)
    assert result.report.counts_by_code == {}
    assert result.conversion is not None and result.conversion.notes == []


def test_a_pretty_printed_array_reports_the_line_where_the_element_starts(
    tmp_path: Path,
) -> None:
    rows = n_rows(TRL_STD)
    rows[3] = {**rows[3], "rejected": rows[3]["chosen"]}  # the 4th element: identical outputs
    text = json.dumps(rows, indent=2)  # "[" on line 1, then five lines per element
    assert text.splitlines()[16].strip() == "{"  # the 4th element starts on line 17
    src = tmp_path / "trl.json"
    src.write_text(text)
    result = ingest_file(src, io.BytesIO(), fmt="auto", count_tokens=False)
    assert result.detected_format == "trl"
    assert findings(result.report) == [(17, "identical_outputs")]


def test_a_converted_jsonl_row_keeps_its_line_past_dropped_and_blank_lines(
    tmp_path: Path,
) -> None:
    rows: list[Any] = n_rows(TRL_STD, 12)
    rows[9] = {**rows[9], "rejected": rows[9]["chosen"]}
    lines = [*rows[:2], "", {"chosen": "no prompt"}, *rows[2:]]  # 1 blank, 1 dropped
    src = tmp_path / "trl.jsonl"
    src.write_bytes(jsonl(lines))
    result = ingest_file(src, io.BytesIO(), fmt="trl", count_tokens=False)
    # The 10th row is the 10th converted line, but line 12 of the file.
    assert (12, "identical_outputs") in findings(result.report)
    assert result.conversion is not None
    assert [(d.row, d.line) for d in result.conversion.dropped] == [(3, 4)]
