"""One streaming pass over an uploaded file: convert if asked, validate, count tokens, hash, and
write the stored (OpenAI-format) bytes. Bad input never raises: it becomes the report.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from service.datasets.validator.blocks import Options
from service.datasets.validator.codes import issue
from service.datasets.validator.convert.formats import SourceFormat
from service.datasets.validator.convert.stream import Conversion
from service.datasets.validator.dataset.aggregate import Aggregator
from service.datasets.validator.hints import csv_message, looks_like_csv
from service.datasets.validator.pool import SourceBlock, run_blocks, run_file
from service.datasets.validator.reading.lines import BOM, DEFAULT_BLOCK_BYTES, Block
from service.datasets.validator.report import (
    DEFAULT_CAP_PER_CODE,
    ConversionReport,
    DatasetKind,
    ValidationReport,
)
from service.datasets.validator.shared_pool import SharedPool

Progress = Callable[[int], None]


@dataclass(frozen=True)
class IngestResult:
    report: ValidationReport
    sha256: str  # of the bytes written to dst (the stored OpenAI-format bytes)
    bytes: int  # written to dst
    examples: int
    detected_format: str  # "openai" when no conversion happened
    conversion: ConversionReport | None

    def as_dict(self) -> dict[str, Any]:
        """The report as the API returns it (JSON-ready): the validation report, plus the
        conversion report when a conversion ran."""
        body: dict[str, Any] = msgspec.to_builtins(self.report)
        body["detected_format"] = self.detected_format
        if self.conversion is not None:
            body["conversion"] = msgspec.to_builtins(self.conversion)
        return body


class _Out:
    """Hash and write the stored bytes as they stream past."""

    def __init__(self, dst: BinaryIO | None) -> None:
        self.dst = dst
        self.sha = hashlib.sha256()
        self.bytes = 0

    def __call__(self, data: bytes) -> None:
        self.sha.update(data)
        self.bytes += len(data)
        if self.dst is not None:
            self.dst.write(data)


def ingest_file(
    src: Path,
    dst: BinaryIO | None,
    *,
    kind: DatasetKind = "dpo",
    fmt: SourceFormat = "openai",
    count_tokens: bool = True,
    n_epochs: int | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    cap_per_code: int = DEFAULT_CAP_PER_CODE,
    hash_bytes: bool | None = None,
    shared: SharedPool | None = None,
) -> IngestResult:
    """Validate (and convert, when `fmt` is not openai) `src`, writing stored bytes to `dst`.

    `progress` is called with the number of source bytes read so far; `workers` overrides the
    process count (default: every core for files above a threshold). `sha256`/`bytes` describe
    the stored bytes; with `dst=None` they are only computed when `hash_bytes=True` (hashing
    costs a tenth of a validation's CPU, for nothing when nothing is stored). With `shared`,
    the work runs in that pool's processes (whatever the size; `workers` is then ignored)
    instead of in a pool of this call's own; a worker dying under it raises PoolUnavailable.
    """
    opts = Options(kind=kind, count_tokens=count_tokens, cap_per_code=cap_per_code)
    size = src.stat().st_size
    with src.open("rb") as f:
        if fmt != "openai":
            conv = Conversion(
                f, fmt, kind=kind, on_chunk=_progress(progress), cap_per_code=cap_per_code
            )
            if not conv.passthrough:
                return _converted(conv, dst, opts, size, n_epochs, workers, shared)
            f.seek(0)
        hashed = dst is not None if hash_bytes is None else hash_bytes
        copier = _Copier(f, _Out(dst) if hashed else None, progress)
        agg = _validate_jsonl(src, f, copier, opts, size, workers, shared)
        agg.finish(
            lines=agg.lines if not agg.not_jsonl else copier.newlines(),
            size=size,
            bom=copier.bom,
            final_newline=copier.final_newline,
            n_epochs=n_epochs,
        )
    report = agg.report("openai")
    digest, stored = (copier.out.sha.hexdigest(), copier.out.bytes) if copier.out else ("", 0)
    return IngestResult(report, digest, stored, report.stats.examples, "openai", None)


def _validate_jsonl(
    src: Path,
    f: BinaryIO,
    copier: _Copier,
    opts: Options,
    size: int,
    workers: int | None,
    shared: SharedPool | None,
) -> Aggregator:
    agg = Aggregator(opts)
    head = f.read(256).removeprefix(BOM)
    f.seek(0)
    first = head.split(b"\n", 1)[0]
    if first.strip().startswith(b"[") or first.strip() == b"{":
        agg.file_not_jsonl(first)
    else:
        if looks_like_csv(first):  # said once; the lines are still judged
            agg.sink.add(issue(1, None, "csv_not_jsonl", csv_message(first)))
        run_file(src, agg, opts, size=size, workers=workers, done=copier.copy_to, shared=shared)
    copier.copy_to(size)
    return agg


class _Copier:
    """Reads the file in order behind the validation, to hash and store it: the stored bytes
    are exactly the bytes received."""

    def __init__(self, f: BinaryIO, out: _Out | None, progress: Progress | None) -> None:
        self._f = f
        self.out = out  # None: nothing to store or hash, so nothing to read here
        self._progress = progress
        self._pos = 0
        self.bom = f.read(len(BOM)) == BOM
        end = f.seek(0, 2)
        f.seek(max(0, end - 1))
        self.final_newline = f.read(1) in (b"", b"\n")  # an empty file needs none
        f.seek(0)

    def copy_to(self, offset: int) -> None:
        out = self.out
        if out is None:
            self._pos = max(self._pos, offset)
        while self._pos < offset and out is not None:
            chunk = self._f.read(min(DEFAULT_BLOCK_BYTES, offset - self._pos))
            if not chunk:
                break
            out(chunk)
            self._pos += len(chunk)
        if self._progress is not None:
            self._progress(self._pos)

    def newlines(self) -> int:
        """Lines of a file that was not validated line by line (counted by reading it again)."""
        self._f.seek(0)
        n = sum(chunk.count(b"\n") for chunk in iter(lambda: self._f.read(1 << 20), b""))
        return n + (0 if self.final_newline else 1)


def _converted(
    conv: Conversion,
    dst: BinaryIO | None,
    opts: Options,
    size: int,
    n_epochs: int | None,
    workers: int | None,
    shared: SharedPool | None,
) -> IngestResult:
    out = _Out(dst)
    agg = Aggregator(opts)
    detected = conv.detected or "unknown"
    if conv.detected is None:
        _unknown_format(agg, opts.kind)
    blocks = _blocks(conv.rows(), out)
    run_blocks(blocks, agg, opts, size=size, workers=workers, shared=shared)
    for dropped in conv.report.dropped:
        where = f"line {dropped.line}" if dropped.line is not None else f"element {dropped.row}"
        msg = f"source row {dropped.row} ({where}) was not converted: {dropped.message}"
        agg.sink.add(issue(None, None, "row_not_converted", msg))
    uncounted = conv.report.dropped_total - len(conv.report.dropped)
    agg.sink.count_more("row_not_converted", "error", uncounted)
    _dropped_fields(agg, conv)
    agg.finish(
        lines=conv.report.rows_out, size=out.bytes, bom=False, final_newline=True, n_epochs=n_epochs
    )
    report = agg.report(detected)
    digest = out.sha.hexdigest()
    return IngestResult(report, digest, out.bytes, report.stats.examples, detected, conv.report)


def _dropped_fields(agg: Aggregator, conv: Conversion) -> None:
    """Said once for the file, in both reports: a field lost on every row is one finding."""
    if not conv.dropped_fields:
        return
    named = ", ".join(
        f"{name[:60]} ({rows} rows)" for name, rows in sorted(conv.dropped_fields.items())
    )
    msg = (
        f"the {conv.detected} conversion dropped fields an OpenAI DPO row has no place for: {named}"
    )
    agg.sink.add(issue(None, None, "fields_dropped", msg))
    conv.report.notes.append(msg)


# What format=auto looks for, per kind (the formats of FORMATS_BY_KIND).
_EXPECTED: dict[DatasetKind, str] = {
    "dpo": "OpenAI DPO rows, TRL (prompt/chosen/rejected), UltraFeedback "
    "(instruction/chosen_response/rejected_response), ShareGPT (conversations/chosen/rejected) "
    "or HH-RLHF (chosen/rejected transcripts)",
    "sft": "OpenAI chat rows ({messages: [...]}), the one format of an SFT dataset",
}


def _unknown_format(agg: Aggregator, kind: DatasetKind) -> None:
    msg = f"could not detect the format: expected {_EXPECTED[kind]}"
    agg.sink.add(issue(1, None, "unknown_format", msg))
    agg.not_jsonl = True  # no per-file "empty" finding on top of this one


def _blocks(rows: Iterable[tuple[int, bytes]], out: _Out) -> Iterator[SourceBlock]:
    """Group converted lines into blocks, writing them out as they are formed; each block
    keeps the source line of each of its rows."""
    parts: list[bytes] = []
    lines = array("q")
    size = 0
    for line, data in rows:
        parts.append(data)
        lines.append(line)
        size += len(data)
        if size >= DEFAULT_BLOCK_BYTES:
            yield _block(parts, lines, out)
            parts, lines, size = [], array("q"), 0
    if parts:
        yield _block(parts, lines, out)


def _block(parts: list[bytes], lines: array[int], out: _Out) -> SourceBlock:
    data = b"".join(parts)
    out(data)
    return SourceBlock(Block(lines[0], data), lines)


def _progress(progress: Progress | None) -> Callable[[bytes], None] | None:
    if progress is None:
        return None
    done = 0

    def seen(chunk: bytes) -> None:
        nonlocal done
        done += len(chunk)
        progress(done)

    return seen
