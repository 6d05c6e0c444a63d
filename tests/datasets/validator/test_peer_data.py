"""The real files in peer_data/ (sources and licences in its README.txt): verdicts, exact
findings, conversions."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from service.datasets.validator import ingest_file
from tests.datasets.helpers import PEER_DATA, element_lines, findings, jsonl, run

ORCA = PEER_DATA / "azure-foundry_orca_dpo_pairs_validation.jsonl"
TOOLCALL = PEER_DATA / "azure-foundry_stock_toolcall_sft_validation.jsonl"
SHAREGPT = PEER_DATA / "llamafactory_dpo_en_demo.json"
V1 = PEER_DATA / "llamafactory_v1_dpo_demo.jsonl"


def test_orca_pairs_are_valid_and_stored_byte_for_byte() -> None:
    out = io.BytesIO()
    result = ingest_file(ORCA, out)
    report = result.report
    assert report.valid
    # Line 101 prefers "Yes" to "Yes. In the first experiment, ...": a real pair of that kind.
    assert findings(report) == [(101, "output_is_prefix"), (284, "missing_final_newline")]
    assert result.examples == 284 == report.stats.lines
    assert out.getvalue() == ORCA.read_bytes()
    assert result.sha256 == "21ebe627cbd53a4e5bf214bcb625591b1e4aa8bf07750dde1e4d81050951772f"
    assert result.detected_format == "openai" and result.conversion is None


def test_orca_token_statistics() -> None:
    stats = ingest_file(ORCA, None).report.stats
    assert stats.tokens_counted
    assert stats.total_tokens == stats.input_tokens + stats.output_tokens
    assert (stats.total_tokens, stats.max_example_tokens, stats.max_example_line) == (
        193_558,
        1_986,
        73,
    )
    assert stats.n_epochs == 3
    assert stats.estimated_trained_tokens == 3 * 193_558
    assert stats.distinct_prompts == 284
    assert stats.preferred_longer_share == pytest.approx(52 / 284, abs=1e-4)


def test_orca_with_auto_is_stored_unchanged() -> None:
    result = ingest_file(ORCA, io.BytesIO(), fmt="auto")
    assert result.detected_format == "openai"
    assert result.conversion is None
    assert result.sha256 == hashlib.sha256(ORCA.read_bytes()).hexdigest()


def test_toolcall_sft_file_is_valid_sft() -> None:
    report = ingest_file(TOOLCALL, None, kind="sft").report
    assert report.valid
    assert findings(report) == [(10, "missing_final_newline")]
    assert report.stats.tool_tokens > 0


def test_toolcall_sft_file_is_not_dpo() -> None:
    report = ingest_file(TOOLCALL, None, kind="dpo").report
    assert not report.valid
    expected = [(n, "sft_row_in_dpo") for n in range(1, 11)] + [(10, "missing_final_newline")]
    assert findings(report) == sorted(expected)


def _toolcall_dpo_rows() -> list[dict[str, Any]]:
    """The README's recipe: tools -> input.tools, the final tool-calling turn -> output."""
    rows = []
    for line in TOOLCALL.read_text().splitlines():
        row = json.loads(line)
        last = row["messages"][-1]
        if "tool_calls" in last:
            rows.append(
                {
                    "input": {"messages": row["messages"][:-1], "tools": row["tools"]},
                    "preferred_output": [last],
                    "non_preferred_output": [{"role": "assistant", "content": "No idea."}],
                }
            )
    return rows


def _with_call(row: dict[str, Any], name: str, arguments: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(row))
    function = out["preferred_output"][0]["tool_calls"][0]["function"]
    function.update(name=name, arguments=arguments)
    return out


def test_real_tool_calls_wrapped_into_dpo(tmp_path: Path) -> None:
    base = _toolcall_dpo_rows()
    assert len(base) == 5
    rows = (base * 2)[:10]
    report = run(tmp_path, jsonl(rows)).report
    # The file repeats its five rows: exact duplicates, but every tool call checks out.
    assert findings(report) == [(n, "duplicate_row") for n in range(6, 11)]
    fn = base[0]["preferred_output"][0]["tool_calls"][0]["function"]["name"]
    broken = [
        *base,
        _with_call(base[0], "get_weather", "{}"),
        _with_call(base[1], fn, "{symbol: GS}"),
        _with_call(base[2], fn, '{"symbol": 5}'),
        _with_call(base[3], fn, "{}"),
        _with_call(base[4], fn, '{"symbol": "GS", "period": "1d"}'),
    ]
    report = run(tmp_path, jsonl(broken)).report
    assert findings(report) == [
        (6, "undefined_tool"),
        (7, "tool_arguments_not_json"),
        (8, "tool_arguments_invalid"),
        (9, "tool_arguments_invalid"),
    ]


def test_sharegpt_array_is_not_jsonl() -> None:
    report = ingest_file(SHAREGPT, None).report
    assert not report.valid
    assert findings(report) == [(1, "json_array_not_jsonl")]
    assert "format=auto" in report.errors[0].message


@pytest.mark.parametrize("fmt", ["auto", "sharegpt"])
def test_sharegpt_array_converts(fmt: Any) -> None:
    out = io.BytesIO()
    result = ingest_file(SHAREGPT, out, fmt=fmt)
    assert result.detected_format == "sharegpt"
    conv = result.conversion
    assert conv is not None
    assert (conv.container, conv.rows_in, conv.rows_out, conv.dropped_total) == (
        "json_array",
        300,
        300,
        0,
    )
    assert result.report.valid
    # The demo file really does repeat five rows (elements 158, 187, ...), each named by the
    # line of the file where it starts.
    starts = element_lines(SHAREGPT.read_text())
    assert findings(result.report) == [
        (starts[element - 1], "duplicate_row") for element in (158, 187, 231, 249, 276)
    ]
    lines = out.getvalue().splitlines()
    assert len(lines) == 300
    first = msgspec.json.decode(lines[0])
    source = json.loads(SHAREGPT.read_text())[0]
    assert first["input"]["messages"] == [
        {"role": "user", "content": source["conversations"][0]["value"]}
    ]
    assert first["preferred_output"] == [
        {"role": "assistant", "content": source["chosen"]["value"]}
    ]
    assert result.sha256 == hashlib.sha256(out.getvalue()).hexdigest()


def test_v1_demo_is_a_foreign_format() -> None:
    report = ingest_file(V1, None).report
    assert findings(report) == [(n, "foreign_format") for n in range(1, 11)]


def test_v1_demo_converts_with_implicit_prompt() -> None:
    out = io.BytesIO()
    result = ingest_file(V1, out, fmt="auto")
    assert result.detected_format == "trl"
    assert result.report.valid and findings(result.report) == []
    row = msgspec.json.decode(out.getvalue().splitlines()[0])
    roles = [m["role"] for m in row["input"]["messages"]]
    assert roles == ["system", "user"]
    # The text parts are joined into a string, which every provider accepts (OpenAI's file
    # check refused this file's outputs while they were parts).
    assert row["preferred_output"][0]["content"].startswith("Abdulah Hasanagic is")
    assert {name: v.accepted for name, v in result.report.providers.items()} == {
        "openai": True,
        "azure": True,
        "together": True,
    }
