"""Stream a source file into OpenAI DPO JSON Lines, with a per-row report of what was dropped.

`Conversion` only converts; `ingest_file` validates what it yields like any upload, so a
converted file gets exactly the same checks as one uploaded in OpenAI's format.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import BinaryIO

import msgspec

from service.datasets.validator.convert.formats import (
    CONVERTERS,
    READ_FIELDS,
    Converter,
    Drop,
    detect,
)
from service.datasets.validator.reading.lines import BOM, DEFAULT_MAX_LINE
from service.datasets.validator.reading.source_rows import (
    Container,
    SourceRow,
    json_rows,
    jsonl_rows,
    sniff,
)
from service.datasets.validator.report import DEFAULT_CAP_PER_CODE, ConversionReport, DroppedRow

_ENCODER = msgspec.json.Encoder()
_HEAD = 1 << 16
# Field names come from the file: only this many distinct ones are tracked (and named).
MAX_DROPPED_FIELDS = 20


class Conversion:
    """Open with `Conversion(f, fmt)`; then `detected`, `container`, `passthrough`, `lines()`."""

    def __init__(
        self,
        src: BinaryIO,
        fmt: str,
        *,
        kind: str = "dpo",
        max_line: int = DEFAULT_MAX_LINE,
        on_chunk: Callable[[bytes], None] | None = None,
        cap_per_code: int = DEFAULT_CAP_PER_CODE,
    ) -> None:
        head = src.read(_HEAD)
        src.seek(0)
        self.container: Container = sniff(head)
        self.bom = head.startswith(BOM)
        self.report = ConversionReport(source_format=fmt, container=self.container)
        self._cap = cap_per_code
        self._kept: dict[str, int] = {}
        if self.container == "jsonl":
            rows = jsonl_rows(src, max_line=max_line, on_chunk=on_chunk or _ignore)
        else:
            rows = json_rows(src, self.container, max_line=max_line, on_chunk=on_chunk or _ignore)
        # Field -> rows it was dropped from, for fields the converter has no place for.
        self.dropped_fields: dict[str, int] = {}
        self.more_dropped_fields = False  # past MAX_DROPPED_FIELDS names
        self._rows = rows
        self._first = self._first_good(rows)
        self.detected: str | None = fmt
        if fmt == "auto":
            first = self._first
            self.detected = detect(first.value, kind) if first is not None else None
            self.report.source_format = self.detected or "unknown"

    def _first_good(self, rows: Iterator[SourceRow]) -> SourceRow | None:
        """Rows before the first decodable one are dropped (and reported) here."""
        for row in rows:
            if row.error is None:
                return row
            self.report.rows_in += 1
            self._drop(row, "invalid_json", row.error)
        return None

    @property
    def passthrough(self) -> bool:
        """Auto found plain OpenAI JSON Lines: store the bytes exactly as received."""
        return self.detected == "openai" and self.container == "jsonl" and not self.bom

    def lines(self) -> Iterator[bytes]:
        """The converted rows, each encoded as one line ending with a newline."""
        for _, data in self.rows():
            yield data

    def rows(self) -> Iterator[tuple[int, bytes]]:
        """Each converted row with the line of the source file where it starts."""
        convert = CONVERTERS.get(self.detected or "")
        if convert is None or self._first is None:
            return
        for row in itertools.chain([self._first], self._rows):
            data = self._one(convert, row)
            if data is not None:
                # A row's line is always known; its number stands in should it ever not be.
                yield (row.line if row.line is not None else row.number), data

    def _one(self, convert: Converter, row: SourceRow) -> bytes | None:
        self.report.rows_in += 1
        if row.error is not None:
            self._drop(row, "invalid_json", row.error)
            return None
        if not isinstance(row.value, dict):
            self._drop(row, "not_an_object", "the row is not a JSON object")
            return None
        result = convert(row.value)
        if isinstance(result, Drop):
            self._drop(row, result.code, result.message)
            return None
        self.report.rows_out += 1
        self._count_dropped_fields(row.value)
        return _ENCODER.encode(result) + b"\n"

    def _count_dropped_fields(self, row: dict[str, object]) -> None:
        read = READ_FIELDS.get(self.detected or "")
        if read is None:
            return
        for name in sorted(row.keys() - read):
            if name in self.dropped_fields or len(self.dropped_fields) < MAX_DROPPED_FIELDS:
                self.dropped_fields[name] = self.dropped_fields.get(name, 0) + 1
            else:
                self.more_dropped_fields = True

    def _drop(self, row: SourceRow, code: str, message: str) -> None:
        rep = self.report
        rep.dropped_total += 1
        rep.counts_by_code[code] = rep.counts_by_code.get(code, 0) + 1
        kept = self._kept.get(code, 0)
        if kept < self._cap:
            self._kept[code] = kept + 1
            rep.dropped.append(
                DroppedRow(row=row.number, line=row.line, code=code, message=message)
            )


def _ignore(_: bytes) -> None:
    return None
