"""`ftjobs validate` / `ftjobs convert`: exit codes, --json, conversion output."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from service.cli.datasets import convert_command, validate_command
from service.datasets.validator import ingest_file
from tests.datasets.helpers import dpo, good, jsonl


def _file(tmp_path: Path, data: bytes, name: str = "d.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_validate_valid_file_exits_0(tmp_path: Path) -> None:
    result = CliRunner().invoke(validate_command, [str(_file(tmp_path, jsonl(good())))])
    assert result.exit_code == 0, result.output
    assert "valid: 10 examples" in result.output
    assert "tokens (o200k_base)" in result.output


def test_validate_invalid_file_exits_1_and_names_lines(tmp_path: Path) -> None:
    path = _file(tmp_path, jsonl([*good(9), dpo(9, pref="")]))
    result = CliRunner().invoke(validate_command, [str(path), "--no-tokens"])
    assert result.exit_code == 1
    assert "line 10 /preferred_output/0/content: [empty_output]" in result.output
    assert "tokens" not in result.output


def test_validate_json_is_the_api_report(tmp_path: Path) -> None:
    path = _file(tmp_path, jsonl([*good(), "oops"]))
    result = CliRunner().invoke(validate_command, [str(path), "--json"])
    assert result.exit_code == 1
    printed = json.loads(result.output)
    assert printed == ingest_file(path, None).as_dict()
    assert printed["errors"][0] == {
        "line": 11,
        "path": None,
        "code": "invalid_json",
        "severity": "error",
        "message": printed["errors"][0]["message"],
    }


def test_validate_usage_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(validate_command, [str(tmp_path / "missing.jsonl")]).exit_code == 2
    path = str(_file(tmp_path, jsonl(good())))
    assert runner.invoke(validate_command, [path, "--kind", "rlhf"]).exit_code == 2
    assert runner.invoke(validate_command, [path, "--format", "csv"]).exit_code == 2
    assert runner.invoke(validate_command, []).exit_code == 2


def test_validate_sft_kind(tmp_path: Path) -> None:
    rows = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]}
        for i in range(10)
    ]
    path = _file(tmp_path, jsonl(rows))
    assert CliRunner().invoke(validate_command, [str(path), "--kind", "sft"]).exit_code == 0
    assert CliRunner().invoke(validate_command, [str(path)]).exit_code == 1


def test_validate_with_format_converts_in_memory(tmp_path: Path) -> None:
    rows = [{"prompt": f"q{i}", "chosen": "good", "rejected": "bad"} for i in range(10)]
    path = _file(tmp_path, jsonl(rows))
    result = CliRunner().invoke(validate_command, [str(path), "--format", "auto"])
    assert result.exit_code == 0, result.output
    assert "converted 10 of 10 rows from trl" in result.output


def test_convert_writes_openai_jsonl(tmp_path: Path) -> None:
    rows = [
        {
            "conversations": [{"from": "human", "value": f"q{i}"}],
            "chosen": {"from": "gpt", "value": "good"},
            "rejected": {"from": "gpt", "value": "bad"},
        }
        for i in range(10)
    ]
    src = _file(tmp_path, json.dumps(rows).encode(), "in.json")
    dst = tmp_path / "out.jsonl"
    result = CliRunner().invoke(convert_command, [str(src), str(dst), "--from", "sharegpt"])
    assert result.exit_code == 0, result.output
    lines = dst.read_bytes().splitlines()
    assert len(lines) == 10
    assert json.loads(lines[0])["input"]["messages"] == [{"role": "user", "content": "q0"}]
    again = CliRunner().invoke(validate_command, [str(dst)])
    assert again.exit_code == 0


def test_convert_reports_dropped_rows_and_exits_1(tmp_path: Path) -> None:
    rows = [{"prompt": f"q{i}", "chosen": "good", "rejected": "bad"} for i in range(10)]
    src = _file(tmp_path, jsonl([*rows, {"chosen": "x", "rejected": "y"}]))
    dst = tmp_path / "out.jsonl"
    result = CliRunner().invoke(convert_command, [str(src), str(dst), "--from", "trl", "--json"])
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert body["conversion"]["dropped"][0]["row"] == 11
    assert body["conversion"]["dropped"][0]["code"] == "no_prompt"
    assert len(dst.read_bytes().splitlines()) == 10


def test_convert_requires_from(tmp_path: Path) -> None:
    src = _file(tmp_path, jsonl(good()))
    result = CliRunner().invoke(convert_command, [str(src), str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2


def test_sft_takes_only_its_own_format(tmp_path: Path) -> None:
    rows = [{"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}]
    path = _file(tmp_path, jsonl(rows * 10))
    auto = CliRunner().invoke(validate_command, [str(path), "--kind", "sft", "--format", "auto"])
    assert auto.exit_code == 0, auto.output
    trl = CliRunner().invoke(validate_command, [str(path), "--kind", "sft", "--format", "trl"])
    assert trl.exit_code == 2 and "openai, auto" in trl.output


def test_validate_prints_each_providers_verdict_with_lines(tmp_path: Path) -> None:
    rows = good(10)
    rows[3]["input"]["messages"].insert(0, {"role": "tool", "content": "{}", "tool_call_id": "c"})
    path = _file(tmp_path, jsonl(rows))
    result = CliRunner().invoke(validate_command, [str(path), "--no-tokens"])
    assert result.exit_code == 0, result.output  # valid, and OpenAI takes it
    assert "openai: accepted" in result.output
    assert "together: REFUSED (1 problem(s), first ones:)" in result.output
    assert "  line 4 /input/messages/0/role: the role must be one of system" in result.output
    refused = CliRunner().invoke(
        validate_command, [str(path), "--no-tokens", "--provider", "together"]
    )
    assert refused.exit_code == 1
    taken = CliRunner().invoke(validate_command, [str(path), "--no-tokens", "--provider", "openai"])
    assert taken.exit_code == 0


def test_validate_prints_the_longest_training_sequence(tmp_path: Path) -> None:
    result = CliRunner().invoke(validate_command, [str(_file(tmp_path, jsonl(good())))])
    assert "longest training sequence:" in result.output
