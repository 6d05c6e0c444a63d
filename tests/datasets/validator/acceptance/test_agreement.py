"""The validator's verdict for a provider and that provider emulator's own file check agree,
line for line, over one corpus: every rule case, broken lines, and the real files in
peer_data/ (as they are, and converted)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from service.datasets.validator import ingest_file
from service.datasets.validator.report import DatasetKind
from service.emulators.openai_compat.dataset_rules import OutputRule, example_problem
from service.emulators.together.dataset_rules import first_problem
from tests.datasets.helpers import PEER_DATA
from tests.datasets.validator.acceptance.cases import BROKEN_LINES, dpo_cases, sft_cases

COMPAT: dict[str, OutputRule] = {"openai": "one_assistant", "azure": "assistant_and_tool"}


def _converted(name: str) -> list[bytes]:
    out = io.BytesIO()
    ingest_file(PEER_DATA / name, out, fmt="auto", count_tokens=False)
    return out.getvalue().splitlines()


def _corpus(kind: DatasetKind) -> list[bytes]:
    if kind == "sft":
        cases = [json.dumps(row).encode() for row in sft_cases().values()]
        real = (PEER_DATA / "azure-foundry_stock_toolcall_sft_validation.jsonl").read_bytes()
        return [*cases, *BROKEN_LINES, *real.splitlines()]
    cases = [json.dumps(row).encode() for row in dpo_cases().values()]
    orca = (PEER_DATA / "azure-foundry_orca_dpo_pairs_validation.jsonl").read_bytes()
    return [
        *cases,
        *BROKEN_LINES,
        *orca.splitlines()[:40],
        *(PEER_DATA / "llamafactory_v1_dpo_demo.jsonl").read_bytes().splitlines(),
        *_converted("llamafactory_v1_dpo_demo.jsonl"),
        *_converted("llamafactory_dpo_en_demo.json")[:40],
    ]


def validator_problems(
    lines: list[bytes], provider: str, kind: DatasetKind, tmp: Path
) -> dict[int, str]:
    """Line -> JSON path ("" for the whole line) of each row the provider's verdict refuses."""
    path = tmp / f"{kind}.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = ingest_file(path, None, kind=kind, count_tokens=False, cap_per_code=100_000).report
    verdict = report.providers[provider]
    refused = {p.line: p.path or "" for p in verdict.problems if p.line is not None}
    assert len(refused) == verdict.problems_total  # nothing capped away: the whole comparison
    return refused


def refused_by_validator(
    lines: list[bytes], provider: str, kind: DatasetKind, tmp: Path
) -> set[int]:
    return set(validator_problems(lines, provider, kind, tmp))


@pytest.mark.parametrize("kind", ["dpo", "sft"])
@pytest.mark.parametrize("provider", sorted(COMPAT))
def test_openai_compatible_verdicts_agree_line_for_line(
    provider: str, kind: DatasetKind, tmp_path: Path
) -> None:
    lines = _corpus(kind)
    method = "dpo" if kind == "dpo" else "supervised"
    emulator = {
        n
        for n, line in enumerate(lines, 1)
        if example_problem(line, method=method, outputs=COMPAT[provider]) is not None
    }
    assert refused_by_validator(lines, provider, kind, tmp_path) == emulator
    assert emulator  # the corpus does break the rules somewhere
    assert len(emulator) < len(lines)  # and keeps to them elsewhere


@pytest.mark.parametrize("kind", ["dpo", "sft"])
def test_together_verdicts_agree_line_for_line_and_path_for_path(
    kind: DatasetKind, tmp_path: Path
) -> None:
    lines = _corpus(kind)
    emulator: dict[int, str] = {}
    for number, line in enumerate(lines, 1):
        found = first_problem(line + b"\n", kind)  # one line: its problem, numbered 1
        if found is not None:
            emulator[number] = found.path
    assert validator_problems(lines, "together", kind, tmp_path) == emulator
    assert emulator and len(emulator) < len(lines)
