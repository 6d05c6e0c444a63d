"""Fold block results into one report: dataset-level checks, file-level findings, statistics."""

from __future__ import annotations

from service.datasets.validator.acceptance.rules import PROVIDERS
from service.datasets.validator.acceptance.verdict import AcceptanceSink
from service.datasets.validator.blocks import BlockResult, Options, RowKeys, long_line_issue
from service.datasets.validator.codes import issue
from service.datasets.validator.dataset.cycles import PreferenceGraphs
from service.datasets.validator.dataset.dedup import SeenTable
from service.datasets.validator.report import (
    DatasetStats,
    IssueSink,
    ProviderProblem,
    ProviderVerdict,
    ValidationReport,
)
from service.datasets.validator.tokens import default_epochs

MIN_EXAMPLES = 10
BOM_MESSAGE = (
    "the file starts with a UTF-8 byte order mark (BOM); many JSONL readers reject it: save "
    "as UTF-8 without BOM or upload with format=auto"
)
CRLF_MESSAGE = "%d line(s) end with CRLF (Windows line endings); accepted, but LF is the norm"
FINAL_NEWLINE_MESSAGE = "the last line has no newline at its end; accepted, but some tools drop it"
FEW_MESSAGE = "the file has %d example(s); OpenAI requires at least %d"


class Aggregator:
    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.sink = IssueSink(opts.cap_per_code)
        self.acceptance = AcceptanceSink(opts.cap_per_code)
        self.stats = DatasetStats(tokens_counted=opts.count_tokens)
        self._pairs = SeenTable()
        self._prompts = SeenTable()
        self._graphs = PreferenceGraphs()
        self._rows_kept = 0  # valid rows, whose keys went into the tables
        # No prompt twice among the rows the cycle store holds: nothing to search.
        self._distinct_prompts = True
        self._crlf = 0
        self._first_crlf: int | None = None
        self._limit_reported = False
        self.not_jsonl = False
        self._bom = False
        self.lines = 0
        self._probe: int | None = None

    def add_block(self, r: BlockResult) -> None:
        if self._probe is None:
            self._probe = r.probe
        elif r.probe != self._probe:
            # Keys hashed with another secret would never match ours: duplicates would go
            # unreported without a word. Only a change to how workers start can cause it.
            raise RuntimeError("row keys from processes with different hash secrets")
        self.sink.merge(r.sink)
        s = self.stats
        s.examples += r.examples
        self.lines += r.lines
        s.input_tokens += r.input_tokens
        s.output_tokens += r.output_tokens
        s.tool_tokens += r.tool_tokens
        if r.max_tokens > s.max_example_tokens:
            s.max_example_tokens, s.max_example_line = r.max_tokens, r.max_line
        if r.max_sequence > s.max_sequence_tokens:
            s.max_sequence_tokens, s.max_sequence_line = r.max_sequence, r.max_sequence_line
        self.acceptance.merge(r.acceptance)
        self._crlf += r.crlf
        if self._first_crlf is None:
            self._first_crlf = r.first_crlf
        s.pairs_compared += r.pairs_compared
        s.preferred_longer += r.preferred_longer
        self._rows(r.keys)

    def add_long_line(self, line: int, length: int) -> None:
        self.stats.examples += 1
        self.sink.add(long_line_issue(line, length, self.opts.max_line))

    def _rows(self, keys: RowKeys) -> None:
        # Once per row of the file, in the parent, which shares the cores with the workers:
        # bound methods in locals, and the table-full check once per block.
        add_prompt, add_pair, get_pair = self._prompts.add, self._pairs.add, self._pairs.get
        graphs_open = not self._graphs.full
        self._graphs.extend(keys.lines, keys.prompts, keys.preferred, keys.non_preferred)
        self._rows_kept += len(keys.lines)
        for line, prompt, pair, reverse, _, _ in keys:
            add_prompt(prompt, line)
            first = add_pair(pair, line)
            if first is not None:
                msg = f"this example repeats line {first} exactly (same input and outputs)"
                self.sink.add(issue(line, None, "duplicate_row", msg))
            elif reverse and reverse != pair:
                other = get_pair(reverse)
                if other is not None:
                    msg = (
                        f"line {other} has the same input with these two outputs the other way "
                        "round: the pairs cancel out"
                    )
                    self.sink.add(issue(line, None, "contradictory_pair", msg))
        table = self._prompts
        if graphs_open and (table.full or table.count != self._rows_kept):
            self._distinct_prompts = False
        refused = [t.first_refused for t in (self._pairs, self._prompts) if t.first_refused]
        if refused and not self._limit_reported:
            self._limit_reported = True
            line = min(refused)
            msg = f"duplicate and contradiction checks cover the rows up to line {line} only"
            self.sink.add(issue(line, None, "dedup_limit_reached", msg))

    def file_not_jsonl(self, first_line: bytes) -> None:
        """Line 1 shows the file is one JSON document, not JSON Lines."""
        self.not_jsonl = True
        head = first_line.strip()
        if head.startswith(b"["):
            code, what = "json_array_not_jsonl", "one JSON array ([...])"
        else:
            code, what = "pretty_printed_json", "pretty-printed JSON (one object over many lines)"
        msg = (
            f"did you mean JSON Lines? The file is {what}, but fine-tuning needs one JSON "
            "object per line. Upload it with format=auto (or run `ftjobs convert IN OUT "
            "--from auto`) to convert it."
        )
        self.sink.add(issue(1, None, code, msg))

    def finish(
        self, *, lines: int, size: int, bom: bool, final_newline: bool, n_epochs: int | None
    ) -> DatasetStats:
        s = self.stats
        s.lines, s.bytes = lines, size
        self._bom = bom
        s.distinct_prompts = self._prompts.count
        self._cycle_findings()
        self._file_findings(bom=bom, final_newline=final_newline)
        s.total_tokens = s.input_tokens + s.output_tokens + s.tool_tokens
        s.n_epochs = n_epochs if n_epochs is not None else default_epochs(s.examples)
        s.estimated_trained_tokens = s.total_tokens * s.n_epochs
        if s.pairs_compared:
            s.preferred_longer_share = round(s.preferred_longer / s.pairs_compared, 4)
        return s

    def _cycle_findings(self) -> None:
        for lines in self._graphs.cycles(all_distinct=self._distinct_prompts):
            *before, last = (f"{n:,}" for n in lines)
            msg = (
                f"lines {', '.join(before)} and {last} state preferences for the same input "
                "that go round in a circle (A over B, B over C, C over A): no ranking of the "
                "outputs satisfies them all"
            )
            self.sink.add(issue(lines[-1], None, "preference_cycle", msg))
        refused = self._graphs.first_refused
        if refused is not None:
            msg = f"preference cycles are checked among the rows before line {refused:,} only"
            self.sink.add(issue(refused, None, "cycle_limit_reached", msg))

    def _file_findings(self, *, bom: bool, final_newline: bool) -> None:
        if self.not_jsonl:
            return  # one finding says it all; line-ending details would be noise
        s = self.stats
        found: list[tuple[int | None, str, str]] = []
        if bom:
            found.append((1, "utf8_bom", BOM_MESSAGE))
        if self._crlf:
            found.append((self._first_crlf, "crlf_line_endings", CRLF_MESSAGE % self._crlf))
        if not final_newline and s.lines:
            found.append((s.lines, "missing_final_newline", FINAL_NEWLINE_MESSAGE))
        if s.examples == 0:
            found.append((None, "empty_file", "the file holds no examples"))
        elif s.examples < MIN_EXAMPLES:
            found.append((None, "too_few_examples", FEW_MESSAGE % (s.examples, MIN_EXAMPLES)))
        for line, code, message in found:
            self.sink.add(issue(line, None, code, message))

    def report(self, detected_format: str) -> ValidationReport:
        return self.sink.report(
            self.stats,
            kind=self.opts.kind,
            detected_format=detected_format,
            providers=self._verdicts(),
        )

    def _verdicts(self) -> dict[str, ProviderVerdict]:
        if self.not_jsonl:  # not JSON Lines: no provider reads it as a file of examples
            problem = ProviderProblem(1, None, "the file holds no JSON Lines examples to judge")
            return {p: ProviderVerdict(False, 1, [problem]) for p in PROVIDERS}
        return self.acceptance.verdicts(self.stats.examples, bom=self._bom)
