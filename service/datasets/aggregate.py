"""Fold block results into one report: dataset-level checks, file-level findings, statistics."""

from __future__ import annotations

from service.datasets.codes import issue
from service.datasets.dedup import SeenTable
from service.datasets.engine import BlockResult, Options, long_line_issue
from service.datasets.report import DatasetStats, IssueSink, ValidationReport
from service.datasets.rules import RowFacts
from service.datasets.tokens import default_epochs

MIN_EXAMPLES = 10


class Aggregator:
    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.sink = IssueSink(opts.cap_per_code)
        self.stats = DatasetStats(tokens_counted=opts.count_tokens)
        self._pairs = SeenTable()
        self._prompts = SeenTable()
        self._crlf = 0
        self._first_crlf: int | None = None
        self._limit_reported = False
        self.not_jsonl = False

    def add_block(self, r: BlockResult) -> None:
        self.sink.merge(r.sink)
        s = self.stats
        s.examples += r.examples
        s.input_tokens += r.input_tokens
        s.output_tokens += r.output_tokens
        s.tool_tokens += r.tool_tokens
        if r.max_tokens > s.max_example_tokens:
            s.max_example_tokens, s.max_example_line = r.max_tokens, r.max_line
        self._crlf += r.crlf
        if self._first_crlf is None:
            self._first_crlf = r.first_crlf
        for line, facts in r.facts:
            self._row(line, facts)

    def add_long_line(self, line: int, length: int) -> None:
        self.stats.examples += 1
        self.sink.add(long_line_issue(line, length, self.opts.max_line))

    def _row(self, line: int, facts: RowFacts) -> None:
        if self.opts.kind == "dpo":
            self.stats.pairs_compared += 1
            if facts.preferred_chars > facts.non_preferred_chars:
                self.stats.preferred_longer += 1
        self._prompts.add(facts.prompt_key, line)
        first = self._pairs.add(facts.pair_key, line)
        if first is not None:
            msg = f"this example repeats line {first} exactly (same input and outputs)"
            self.sink.add(issue(line, None, "duplicate_row", msg))
        elif facts.reversed_key and facts.reversed_key != facts.pair_key:
            other = self._pairs.get(facts.reversed_key)
            if other is not None:
                msg = (
                    f"line {other} has the same input with these two outputs the other way "
                    "round: the pairs cancel out"
                )
                self.sink.add(issue(line, None, "contradictory_pair", msg))
        if (self._pairs.full or self._prompts.full) and not self._limit_reported:
            self._limit_reported = True
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
        s.distinct_prompts = self._prompts.count
        self._file_findings(bom=bom, final_newline=final_newline)
        s.total_tokens = s.input_tokens + s.output_tokens + s.tool_tokens
        s.n_epochs = n_epochs if n_epochs is not None else default_epochs(s.examples)
        s.estimated_trained_tokens = s.total_tokens * s.n_epochs
        if s.pairs_compared:
            s.preferred_longer_share = round(s.preferred_longer / s.pairs_compared, 4)
        return s

    def _file_findings(self, *, bom: bool, final_newline: bool) -> None:
        add, s = self.sink.add, self.stats
        if self.not_jsonl:
            return  # one finding says it all; line-ending details would be noise
        if bom:
            add(
                issue(
                    1,
                    None,
                    "utf8_bom",
                    "the file starts with a UTF-8 byte order mark (BOM); "
                    "many JSONL readers reject it: save as UTF-8 without BOM or use format=auto",
                )
            )
        if self._crlf:
            add(
                issue(
                    self._first_crlf,
                    None,
                    "crlf_line_endings",
                    f"{self._crlf:,} line(s) end with CRLF (Windows line endings); accepted, "
                    "but LF is the norm",
                )
            )
        if not final_newline and s.lines:
            add(
                issue(
                    s.lines,
                    None,
                    "missing_final_newline",
                    "the last line has no newline at its end; accepted, but some tools drop it",
                )
            )
        if s.examples == 0:
            add(issue(None, None, "empty_file", "the file holds no examples"))
        elif s.examples < MIN_EXAMPLES:
            add(
                issue(
                    None,
                    None,
                    "too_few_examples",
                    f"the file has {s.examples} example(s); OpenAI requires at least "
                    f"{MIN_EXAMPLES}",
                )
            )

    def report(self, detected_format: str) -> ValidationReport:
        return self.sink.report(self.stats, kind=self.opts.kind, detected_format=detected_format)
