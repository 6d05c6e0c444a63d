"""The validation report: what the API returns (as JSON) and the CLI prints.

Everything here is a msgspec Struct of plain types so `msgspec.to_builtins(report)` is JSONB-ready.
Issue lists are capped per code (the first N in file order) while the totals stay exact, so a
100 MB file of errors still yields a report of bounded size.
"""

from __future__ import annotations

from typing import Literal

import msgspec

DatasetKind = Literal["dpo", "sft"]
Severity = Literal["error", "warning"]

DEFAULT_CAP_PER_CODE = 20


class Issue(msgspec.Struct, frozen=True):
    line: int | None
    path: str | None
    code: str
    severity: Severity
    message: str


class DatasetStats(msgspec.Struct):
    examples: int = 0
    lines: int = 0
    bytes: int = 0
    distinct_prompts: int = 0
    tokenizer: str = "o200k_base"
    tokens_counted: bool = False
    total_tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    tool_tokens: int = 0
    max_example_tokens: int = 0
    max_example_line: int | None = None
    # The longest training sequence in tokens (DPO: input + tools + the longer output; SFT:
    # the whole conversation) and its line: what a model's maximum sequence length limits.
    max_sequence_tokens: int = 0
    max_sequence_line: int | None = None
    n_epochs: int = 0
    estimated_trained_tokens: int = 0
    pairs_compared: int = 0
    preferred_longer: int = 0
    # Share of pairs whose preferred output is longer (characters): DPO learns "longer is
    # better" when this is far from 0.5.
    preferred_longer_share: float | None = None


class ProviderProblem(msgspec.Struct, frozen=True):
    line: int | None  # None: the file as a whole (too few examples)
    path: str | None  # JSON Pointer in the line; None: the whole line
    message: str


class ProviderVerdict(msgspec.Struct):
    """Whether a provider would accept the file, and if not why: the first thing it refuses
    in each refused row, in file order (capped), and the exact count."""

    accepted: bool
    problems_total: int
    problems: list[ProviderProblem]


class ValidationReport(msgspec.Struct):
    valid: bool
    errors_total: int
    warnings_total: int
    errors: list[Issue]
    warnings: list[Issue]
    counts_by_code: dict[str, int]
    stats: DatasetStats
    kind: DatasetKind = "dpo"
    profile: str = "openai"
    detected_format: str = "openai"
    cap_per_code: int = DEFAULT_CAP_PER_CODE
    # Every known provider's verdict (openai, azure, together), by name.
    providers: dict[str, ProviderVerdict] = msgspec.field(default_factory=dict)


class DroppedRow(msgspec.Struct, frozen=True):
    """One source row (or element) a converter could not carry over, and why."""

    row: int
    line: int | None
    code: str
    message: str


class ConversionReport(msgspec.Struct):
    source_format: str
    container: Literal["jsonl", "json_array", "json_values"] = "jsonl"
    rows_in: int = 0
    rows_out: int = 0
    dropped_total: int = 0
    dropped: list[DroppedRow] = msgspec.field(default_factory=list)
    counts_by_code: dict[str, int] = msgspec.field(default_factory=dict)
    notes: list[str] = msgspec.field(default_factory=list)


class IssueSink:
    """Collects issues: exact totals per code, but only the first `cap` issues of each code."""

    def __init__(self, cap_per_code: int = DEFAULT_CAP_PER_CODE) -> None:
        self.cap = cap_per_code
        self.counts: dict[str, int] = {}
        self.totals: dict[Severity, int] = {"error": 0, "warning": 0}
        self.kept: list[Issue] = []
        self._kept_per_code: dict[str, int] = {}

    def add(self, issue: Issue) -> None:
        self.counts[issue.code] = self.counts.get(issue.code, 0) + 1
        self.totals[issue.severity] += 1
        self._keep(issue)

    def _keep(self, issue: Issue) -> None:
        kept = self._kept_per_code.get(issue.code, 0)
        if kept < self.cap:
            self._kept_per_code[issue.code] = kept + 1
            self.kept.append(issue)

    def count_more(self, code: str, severity: Severity, n: int) -> None:
        """Count `n` more issues of `code` whose details were capped away elsewhere."""
        if n > 0:
            self.counts[code] = self.counts.get(code, 0) + n
            self.totals[severity] += n

    def merge(self, other: IssueSink) -> None:
        """Fold in a sink filled elsewhere (a worker's batch), later in file order than ours."""
        for issue in other.kept:
            self._keep(issue)
        for code, n in other.counts.items():
            self.counts[code] = self.counts.get(code, 0) + n
        for severity, n in other.totals.items():
            self.totals[severity] += n

    def report(
        self,
        stats: DatasetStats,
        *,
        kind: DatasetKind,
        detected_format: str,
        providers: dict[str, ProviderVerdict] | None = None,
    ) -> ValidationReport:
        kept = sorted(self.kept, key=_line_key)
        return ValidationReport(
            valid=self.totals["error"] == 0,
            errors_total=self.totals["error"],
            warnings_total=self.totals["warning"],
            errors=[i for i in kept if i.severity == "error"],
            warnings=[i for i in kept if i.severity == "warning"],
            counts_by_code=dict(sorted(self.counts.items())),
            stats=stats,
            kind=kind,
            detected_format=detected_format,
            cap_per_code=self.cap,
            providers=providers or {},
        )


def _line_key(issue: Issue) -> int:
    # File-level issues (no line) first, then by line; the sort is stable within a line.
    return issue.line if issue.line is not None else 0
