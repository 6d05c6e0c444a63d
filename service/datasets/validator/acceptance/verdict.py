"""Each provider's verdict on a file: accepted or not, and the first problems with their lines.

Like the issue lists, the problems kept are capped (the first `cap` in file order) while the
count stays exact. One problem per refused row: the first thing the provider refuses in it.
"""

from __future__ import annotations

import msgspec

from service.datasets.validator.acceptance.plain import accepted_everywhere
from service.datasets.validator.acceptance.rules import (
    MIN_EXAMPLES,
    PROVIDERS,
    Provider,
    line_problem,
)
from service.datasets.validator.report import DatasetKind, ProviderProblem, ProviderVerdict
from service.datasets.validator.row.typed import DpoRow, SftRow


class AcceptanceSink:
    """Problems per provider, found block by block (in a worker or inline), folded in order."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept: dict[Provider, list[ProviderProblem]] = {p: [] for p in PROVIDERS}
        self.totals: dict[Provider, int] = dict.fromkeys(PROVIDERS, 0)

    def judge(self, raw: bytes, line: int, kind: DatasetKind, row: DpoRow | SftRow | None) -> None:
        """Judge one non-blank line; `row` is its typed struct when it decoded into one."""
        if row is not None and accepted_everywhere(row):
            return
        for provider in PROVIDERS:
            found = line_problem(raw, provider, kind)
            if found is not None:
                self.add(provider, ProviderProblem(line, found.path, found.message))

    def add(self, provider: Provider, problem: ProviderProblem) -> None:
        self.totals[provider] += 1
        kept = self.kept[provider]
        if len(kept) < self.cap:
            kept.append(problem)

    def merge(self, later: AcceptanceSink) -> None:
        for provider in PROVIDERS:
            for problem in later.kept[provider]:
                self.add(provider, problem)
            self.totals[provider] += later.totals[provider] - len(later.kept[provider])

    def shift(self, offset: int) -> None:
        for provider, kept in self.kept.items():
            self.kept[provider] = [
                p if p.line is None else msgspec.structs.replace(p, line=p.line + offset)
                for p in kept
            ]

    def verdicts(self, examples: int, *, bom: bool = False) -> dict[str, ProviderVerdict]:
        """Each provider's verdict, with the file-level problems first: a byte order mark
        (which makes line 1 unreadable as JSON to a provider) and too few examples."""
        out: dict[str, ProviderVerdict] = {}
        for provider in PROVIDERS:
            problems = list(self.kept[provider])
            total = self.totals[provider]
            if bom:
                msg = "the file starts with a byte order mark: line 1 does not read as JSON"
                problems.insert(0, ProviderProblem(1, None, msg))
                total += 1
            least = MIN_EXAMPLES[provider]
            if examples < least:
                msg = f"the file has {examples} example(s); {provider} needs at least {least}"
                problems.insert(0, ProviderProblem(None, None, msg))
                total += 1
            out[provider] = ProviderVerdict(total == 0, total, problems)
        return out
