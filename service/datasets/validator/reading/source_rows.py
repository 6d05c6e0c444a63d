"""Read the rows of a source file for conversion: JSON Lines, one JSON array, or concatenated
(pretty-printed) JSON values. Streaming in all three cases, with a bound on one row's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, Literal, NamedTuple

import msgspec

from service.datasets.validator.reading.element_lines import ElementLines
from service.datasets.validator.reading.lines import BOM, LineReader, LongLine

Container = Literal["jsonl", "json_array", "json_values"]
_DECODER = msgspec.json.Decoder()


class SourceRow(NamedTuple):
    number: int  # 1-based row (JSONL: non-blank line; arrays: element)
    line: int | None  # the physical line where the row starts
    value: Any  # the decoded row, or None when `error` is set
    error: str | None


class RowTooLargeError(Exception):
    """One JSON element is larger than the row limit."""


class TooDeepError(Exception):
    """JSON nested deeper than MAX_DEPTH."""


MAX_DEPTH = 256


def build_values(events: Iterator[tuple[str, Any]], *, top: int) -> Iterator[Any]:
    """Values from ijson's parse events, yielded at nesting depth `top` (0: each top-level
    value; 1: each element of a top-level array, which is never built itself).

    We build them here rather than with `ijson.items` because that tracks a path prefix per
    level, which costs memory quadratic in the depth: 100,000 nested brackets exhaust RAM.
    """
    stack: list[Any] = []
    keys: list[Any] = []
    for event, value in events:
        if event == "map_key":
            keys[-1] = value
            continue
        if event in ("start_map", "start_array"):
            if len(stack) >= MAX_DEPTH:
                raise TooDeepError
            stack.append({} if event == "start_map" else [])
            keys.append(None)
            continue
        if event in ("end_map", "end_array"):
            value = stack.pop()
            keys.pop()
        depth = len(stack)
        if depth == top:
            yield value
        elif depth > top:
            parent = stack[-1]
            if isinstance(parent, list):
                parent.append(value)
            else:
                parent[keys[-1]] = value


def sniff(head: bytes) -> Container:
    """Which container a file is, from its first bytes."""
    body = head.removeprefix(BOM).lstrip()
    if body.startswith(b"["):
        return "json_array"
    # Pretty printers (json.dumps(indent=...), jq) put an object's "{" alone on its line; a
    # JSONL file whose first row is merely broken stays JSONL, so its other rows survive.
    if body.split(b"\n", 1)[0].strip() == b"{":
        return "json_values"
    return "jsonl"


def jsonl_rows(
    src: BinaryIO, *, max_line: int, on_chunk: Callable[[bytes], None]
) -> Iterator[SourceRow]:
    index = 0
    for item in LineReader(src, max_line=max_line, on_chunk=on_chunk):
        if isinstance(item, LongLine):
            index += 1
            yield SourceRow(
                index, item.line, None, f"line is {item.length:,} bytes, over the limit"
            )
            continue
        for line, raw in enumerate(item.data.split(b"\n"), item.first_line):
            if raw.strip():
                index += 1
                yield _decoded(index, line, raw)


def _decoded(index: int, line: int, raw: bytes) -> SourceRow:
    try:
        return SourceRow(index, line, _DECODER.decode(raw), None)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
        return SourceRow(index, line, None, f"invalid JSON: {exc}")
    except RecursionError:
        return SourceRow(index, line, None, "JSON nested too deeply")


class _Metered:
    """A read-only file wrapper that counts bytes and stops runaway elements."""

    def __init__(
        self,
        src: BinaryIO,
        max_row: int,
        on_chunk: Callable[[bytes], None],
        lines: ElementLines,
    ) -> None:
        self._src = src
        self._max_row = max_row
        self._on_chunk = on_chunk
        self._lines = lines
        self.pos = 0
        self.row_start = 0

    def read(self, n: int = -1) -> bytes:
        if self.pos - self.row_start > self._max_row:
            raise RowTooLargeError(f"an element over {self._max_row:,} bytes")
        if n == 0:
            return b""  # ijson probes with read(0) to learn whether the file yields bytes
        data = self._src.read(n if n > 0 else 1 << 16)
        self._on_chunk(data)
        if self.pos == 0 and data.startswith(BOM):
            data = data[len(BOM) :]  # ijson rejects a BOM; the report names it anyway
        self.pos += len(data)
        self._lines.feed(data)
        return data


def json_rows(
    src: BinaryIO, container: Container, *, max_line: int, on_chunk: Callable[[bytes], None]
) -> Iterator[SourceRow]:
    """Elements of one JSON array, or a sequence of JSON values (pretty-printed objects)."""
    import ijson  # only conversions of JSON documents need it

    array = container == "json_array"
    lines = ElementLines(depth=1 if array else 0)
    metered = _Metered(src, max_line, on_chunk, lines)
    events = ijson.basic_parse(metered, use_float=True, multiple_values=not array)
    items = build_values(events, top=1 if array else 0)
    index = 0
    try:
        for index, value in enumerate(items, 1):
            metered.row_start = metered.pos
            yield SourceRow(index, lines.next_start(), value, None)
    except RowTooLargeError as exc:
        yield SourceRow(index + 1, lines.next_start(), None, str(exc))
    except TooDeepError:
        error = f"JSON nested deeper than {MAX_DEPTH} levels"
        yield SourceRow(index + 1, lines.next_start(), None, error)
    except (ijson.JSONError, ValueError, RecursionError, UnicodeDecodeError) as exc:
        error = f"invalid JSON after element {index}: {exc}"
        yield SourceRow(index + 1, lines.next_start() or lines.line, None, error)
