"""A dataset's validation report as a person reads it (pure): the counts, the token figures,
the problems grouped by code with their lines, and, when the report has them, the verdict of each
provider (`providers`). Reports are stored JSON of several vintages: every field is optional."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from service.console.formatting import byte_size, count, percent


@dataclass(frozen=True)
class Place:
    line: int | None
    path: str | None
    message: str


@dataclass(frozen=True)
class IssueGroup:
    code: str
    severity: str
    total: int  # exact, from counts_by_code
    shown: tuple[Place, ...]  # the first ones the report kept
    capped: int  # how many more the report counted but did not keep


@dataclass(frozen=True)
class Verdict:
    provider: str
    accepted: bool | None  # None: the report does not say
    problems: tuple[Place, ...]
    more: int  # problems counted beyond those listed


@dataclass(frozen=True)
class ReportView:
    valid: bool | None
    errors_total: int
    warnings_total: int
    figures: tuple[tuple[str, str], ...]  # (what, how much), in reading order
    tokens: tuple[tuple[str, str], ...]
    errors: tuple[IssueGroup, ...]
    warnings: tuple[IssueGroup, ...]
    providers: tuple[Verdict, ...] | None  # None: a report from before per-provider verdicts
    detected_format: str | None


def report_view(report: Mapping[str, Any]) -> ReportView:
    stats: Mapping[str, Any] = report.get("stats") or {}
    counts: Mapping[str, int] = report.get("counts_by_code") or {}
    return ReportView(
        valid=report.get("valid"),
        errors_total=int(report.get("errors_total") or 0),
        warnings_total=int(report.get("warnings_total") or 0),
        figures=figures(stats),
        tokens=token_figures(stats),
        errors=group_issues(report.get("errors") or [], counts),
        warnings=group_issues(report.get("warnings") or [], counts),
        providers=verdicts(report.get("providers")),
        detected_format=report.get("detected_format"),
    )


def figures(stats: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    rows = [
        ("Examples", count(stats.get("examples"))),
        ("Lines", count(stats.get("lines"))),
        ("Size", byte_size(stats.get("bytes"))),
        ("Distinct prompts", count(stats.get("distinct_prompts"))),
    ]
    share = stats.get("preferred_longer_share")
    if share is not None:
        rows.append(("Pairs whose preferred output is longer", percent(share)))
    return tuple((what, shown) for what, shown in rows if shown != "—")


def token_figures(stats: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Empty when tokens were not counted."""
    if not stats.get("tokens_counted"):
        return ()
    longest = count(stats.get("max_example_tokens"))
    if stats.get("max_example_line") is not None:
        longest += f" (line {stats['max_example_line']})"
    rows = [
        ("Tokenizer", str(stats.get("tokenizer", "—"))),
        ("Total tokens", count(stats.get("total_tokens"))),
        ("Input tokens", count(stats.get("input_tokens"))),
        ("Output tokens", count(stats.get("output_tokens"))),
        ("Tool definition tokens", count(stats.get("tool_tokens"))),
        ("Longest example", longest),
        (
            f"Estimated trained tokens ({stats.get('n_epochs', '?')} epochs)",
            count(stats.get("estimated_trained_tokens")),
        ),
    ]
    return tuple(rows)


def group_issues(
    issues: Sequence[Mapping[str, Any]], counts_by_code: Mapping[str, int]
) -> tuple[IssueGroup, ...]:
    """One group per code, in order of first appearance, each with its places and its exact
    total (the report keeps only the first issues of each code)."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for issue in issues:
        groups.setdefault(str(issue.get("code", "unknown")), []).append(issue)
    result = []
    for code, members in groups.items():
        total = max(int(counts_by_code.get(code, 0)), len(members))
        result.append(
            IssueGroup(
                code=code,
                severity=str(members[0].get("severity", "error")),
                total=total,
                shown=tuple(_place(issue) for issue in members),
                capped=total - len(members),
            )
        )
    return tuple(result)


def _place(issue: Mapping[str, Any]) -> Place:
    line = issue.get("line")
    return Place(
        line=line if isinstance(line, int) else None,
        path=issue.get("path"),
        message=str(issue.get("message", "")),
    )


def verdicts(providers: Any) -> tuple[Verdict, ...] | None:
    """`providers` as the validator writes it: {name: {accepted, problems: [{line, path,
    message}], problems_total}}. None when the report predates per-provider verdicts."""
    if not isinstance(providers, Mapping):
        return None
    return tuple(_verdict(str(name), verdict) for name, verdict in providers.items())


def _verdict(name: str, verdict: Any) -> Verdict:
    if not isinstance(verdict, Mapping):
        return Verdict(name, None, (), 0)
    accepted = verdict.get("accepted")
    listed = verdict.get("problems") or []
    problems = tuple(_place(p) for p in listed if isinstance(p, Mapping))
    total = verdict.get("problems_total")
    more = max(0, total - len(problems)) if isinstance(total, int) else 0
    return Verdict(name, accepted if isinstance(accepted, bool) else None, problems, more)
