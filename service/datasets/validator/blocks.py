"""Validate a block of lines: the unit of work, run inline or in a worker process.

A block's result is small and picklable (capped issues, counters, one 64-bit key tuple per
row); the dataset-level checks that need every row (duplicates, contradictions) run in the
parent over those keys, in file order.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from service.datasets.validator.acceptance.verdict import AcceptanceSink
from service.datasets.validator.codes import issue
from service.datasets.validator.reading.lines import LineReader, LongLine, RangeFile
from service.datasets.validator.report import DEFAULT_CAP_PER_CODE, DatasetKind, Issue, IssueSink
from service.datasets.validator.row.keys import RowFacts, key_probe
from service.datasets.validator.row.line import validate_line
from service.datasets.validator.tokens import DEFAULT_EXAMPLE_LIMIT, TokenCounter, shared_counter


@dataclass(frozen=True)
class Options:
    kind: DatasetKind = "dpo"
    count_tokens: bool = True
    example_limit: int = DEFAULT_EXAMPLE_LIMIT
    max_line: int = 8 << 20
    cap_per_code: int = DEFAULT_CAP_PER_CODE


class RowKeys:
    """Each valid row's line and 64-bit keys, as flat arrays: a block's result then pickles as
    a few memory copies instead of one tuple per row."""

    def __init__(self) -> None:
        self.lines = array("q")
        self.prompts = array("q")  # keys are hash() values: signed 64-bit
        self.pairs = array("q")
        self.reversed = array("q")
        self.preferred = array("q")
        self.non_preferred = array("q")

    def append(self, line: int, facts: RowFacts) -> None:
        self.lines.append(line)
        self.prompts.append(facts.prompt_key)
        self.pairs.append(facts.pair_key)
        self.reversed.append(facts.reversed_key)
        self.preferred.append(facts.preferred_key)
        self.non_preferred.append(facts.non_preferred_key)

    def extend(self, other: RowKeys) -> None:
        for mine, theirs in zip(self._columns(), other._columns(), strict=True):
            mine.extend(theirs)

    def shift(self, offset: int) -> None:
        self.lines = array("q", (line + offset for line in self.lines))

    def renumber(self, lines: Sequence[int]) -> None:
        self.lines = array("q", (lines[line - 1] for line in self.lines))

    def _columns(self) -> tuple[array[int], ...]:
        return (
            self.lines,
            self.prompts,
            self.pairs,
            self.reversed,
            self.preferred,
            self.non_preferred,
        )

    def __iter__(self) -> Iterator[tuple[int, int, int, int, int, int]]:
        return zip(*self._columns(), strict=True)


@dataclass
class BlockResult:
    sink: IssueSink
    lines: int = 0
    examples: int = 0
    crlf: int = 0
    first_crlf: int | None = None
    keys: RowKeys = field(default_factory=RowKeys)
    pairs_compared: int = 0
    preferred_longer: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    tool_tokens: int = 0
    max_tokens: int = 0
    max_line: int | None = None
    # The longest training sequence (input + tools + the longer output; SFT: the whole
    # conversation), which a provider's per-model sequence limit is about.
    max_sequence: int = 0
    max_sequence_line: int | None = None
    acceptance: AcceptanceSink = field(default_factory=lambda: AcceptanceSink(0))
    # Row keys hash strings with this process's hash secret: blocks are only comparable
    # with blocks whose probe is equal (see row.keys).
    probe: int = field(default_factory=key_probe)

    def absorb(self, later: BlockResult) -> None:
        """Fold in the result of the block that follows this one in the file."""
        self.sink.merge(later.sink)
        self.lines += later.lines
        self.examples += later.examples
        self.crlf += later.crlf
        if self.first_crlf is None:
            self.first_crlf = later.first_crlf
        self.keys.extend(later.keys)
        self.pairs_compared += later.pairs_compared
        self.preferred_longer += later.preferred_longer
        self.input_tokens += later.input_tokens
        self.output_tokens += later.output_tokens
        self.tool_tokens += later.tool_tokens
        if later.max_tokens > self.max_tokens:
            self.max_tokens, self.max_line = later.max_tokens, later.max_line
        if later.max_sequence > self.max_sequence:
            self.max_sequence, self.max_sequence_line = later.max_sequence, later.max_sequence_line
        self.acceptance.merge(later.acceptance)

    def shift(self, offset: int) -> None:
        """Renumber lines: a range is validated with lines counted from 1."""
        if not offset:
            return
        self.sink.kept = [replace_line(i, offset) for i in self.sink.kept]
        self.keys.shift(offset)
        if self.first_crlf is not None:
            self.first_crlf += offset
        if self.max_line is not None:
            self.max_line += offset
        if self.max_sequence_line is not None:
            self.max_sequence_line += offset
        self.acceptance.shift(offset)

    def renumber(self, lines: Sequence[int]) -> None:
        """Line n (counted from 1) becomes `lines[n - 1]`: a converted block's rows become
        the lines of the user's file they came from."""
        self.sink.kept = [
            i if i.line is None else msgspec.structs.replace(i, line=lines[i.line - 1])
            for i in self.sink.kept
        ]
        self.keys.renumber(lines)
        if self.first_crlf is not None:
            self.first_crlf = lines[self.first_crlf - 1]
        if self.max_line is not None:
            self.max_line = lines[self.max_line - 1]


BLANK_MESSAGE = "blank line: JSONL has one object per line; remove it"
_SPACE = frozenset(b" \t\n\r\x0b\x0c")  # what bytes.strip() strips


def replace_line(item: Issue, offset: int) -> Issue:
    return item if item.line is None else msgspec.structs.replace(item, line=item.line + offset)


def process_range(path: Path, start: int, end: int, opts: Options) -> BlockResult:
    """Validate the lines that start in bytes [start, end) of `path`, numbered from 1."""
    total = _new_result(opts)
    with path.open("rb") as f:
        reader = LineReader(RangeFile(f, start, end), max_line=opts.max_line, strip_bom=start == 0)
        for item in reader.batches():
            if isinstance(item, LongLine):
                total.examples += 1
                total.sink.add(long_line_issue(item.line, item.length, opts.max_line))
            else:
                part = process_lines(item.lines, item.first_line, opts)
                part.lines = 0  # counted once, by the reader
                total.absorb(part)
        total.lines = reader.lines
    return total


def _new_result(opts: Options) -> BlockResult:
    return BlockResult(IssueSink(opts.cap_per_code), acceptance=AcceptanceSink(opts.cap_per_code))


def process_block(data: bytes, first_line: int, opts: Options) -> BlockResult:
    raws = data.split(b"\n")
    if raws and not raws[-1]:
        raws.pop()  # the block's final newline ends a line; it does not start one
    return process_lines(raws, first_line, opts)


def process_lines(raws: list[bytes], first_line: int, opts: Options) -> BlockResult:
    result = _new_result(opts)
    counter = shared_counter() if opts.count_tokens else None
    sink, keys, kind, max_line = result.sink, result.keys, opts.kind, opts.max_line
    longer = 0
    # Once per line of the file: locals instead of attribute lookups, and the blank-line test
    # looks at one byte instead of copying the line with strip().
    for line, raw in enumerate(raws, first_line):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
            result.crlf += 1
            if result.first_crlf is None:
                result.first_crlf = line
        if not raw or (raw[0] in _SPACE and not raw.strip()):
            sink.add(issue(line, None, "blank_line", BLANK_MESSAGE))
            continue
        result.examples += 1
        if len(raw) > max_line:
            sink.add(long_line_issue(line, len(raw), max_line))
            continue
        issues, row, facts, as_written = validate_line(raw, line, kind)
        for item in issues:
            sink.add(item)
        result.acceptance.judge(raw, line, kind, row if as_written else None)
        if facts is not None:
            keys.append(line, facts)
            longer += facts.preferred_chars > facts.non_preferred_chars
        if counter is not None and row is not None:
            _count(counter, row, line, opts, result)
    if kind == "dpo":
        result.pairs_compared = len(keys.lines)
        result.preferred_longer = longer
    result.lines = len(raws)
    return result


def _count(
    counter: TokenCounter, row: object, line: int, opts: Options, result: BlockResult
) -> None:
    tokens = counter.row(row)  # type: ignore[arg-type]
    result.input_tokens += tokens.input
    result.tool_tokens += tokens.tools
    result.output_tokens += sum(tokens.outputs)
    total = tokens.total
    if total > result.max_tokens:
        result.max_tokens, result.max_line = total, line
    longest = tokens.longest_sequence
    if longest > result.max_sequence:
        result.max_sequence, result.max_sequence_line = longest, line
    if longest > opts.example_limit:
        msg = (
            f"the example is {longest:,} tokens (input + tools + longest output), over the "
            f"{opts.example_limit:,}-token limit; OpenAI would truncate or reject it"
        )
        result.sink.add(issue(line, None, "example_too_long", msg))


def long_line_issue(line: int, length: int, limit: int) -> Issue:
    msg = (
        f"the line is {length:,} bytes, over the {limit:,}-byte limit: no example within "
        "the per-example token limit is this long (is the whole file on one line?)"
    )
    return issue(line, None, "line_too_long", msg)
