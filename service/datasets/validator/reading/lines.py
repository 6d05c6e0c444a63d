"""Stream a file as blocks of whole lines, with bounded memory.

The reader never holds more than one block plus one partial line, and a partial line longer
than `max_line` is dropped (reported as `LongLine`) while the reader skips to its end, so a 1 GB
single line costs `max_line` bytes of memory, not 1 GB.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO, NamedTuple, Protocol

BOM = b"\xef\xbb\xbf"
DEFAULT_BLOCK_BYTES = 1 << 20
DEFAULT_MAX_LINE = 8 << 20  # far above any example within OpenAI's 65,536-token limit


class Readable(Protocol):
    def read(self, n: int, /) -> bytes: ...


class Block(NamedTuple):
    first_line: int
    data: bytes  # whole lines, each ending with b"\n" except perhaps the file's last


class Lines(NamedTuple):
    first_line: int
    lines: list[bytes]  # whole lines, without their b"\n"
    ended: bool = True  # False for the file's last line when it has no final newline


class LongLine(NamedTuple):
    line: int
    length: int


class LineReader:
    """Iterate `Block`s and `LongLine`s; afterwards the attributes describe the whole file."""

    def __init__(
        self,
        src: Readable,
        *,
        block_bytes: int = DEFAULT_BLOCK_BYTES,
        max_line: int = DEFAULT_MAX_LINE,
        on_chunk: Callable[[bytes], None] | None = None,
        strip_bom: bool = True,
    ) -> None:
        self._src = src
        self._strip_bom = strip_bom
        self._block_bytes = block_bytes
        self._max_line = max_line
        self._on_chunk = on_chunk
        self.bytes = 0
        self.lines = 0
        self.bom = False
        self.final_newline = True
        self.first_line = b""  # up to 256 bytes of line 1, to recognise JSON arrays

    def _chunks(self) -> Iterator[bytes]:
        first = True
        while chunk := self._src.read(self._block_bytes):
            self.bytes += len(chunk)
            if self._on_chunk is not None:
                self._on_chunk(chunk)
            if first:
                first = False
                if self._strip_bom and chunk.startswith(BOM):
                    self.bom = True
                    chunk = chunk[len(BOM) :]
                self.first_line = chunk[:256].split(b"\n", 1)[0]
            yield chunk

    def __iter__(self) -> Iterator[Block | LongLine]:
        for item in self.batches():
            if isinstance(item, LongLine):
                yield item
            else:
                end = b"\n" if item.ended else b""
                yield Block(item.first_line, b"\n".join(item.lines) + end)

    def batches(self) -> Iterator[Lines | LongLine]:
        """Like iterating, but each block comes already split into its lines: the validator
        needs them split, and this way no block is copied or scanned for newlines twice."""
        pending = bytearray()
        skipped = -1  # >= 0 while skipping the rest of an over-long line: bytes so far
        line = 1
        for chunk in self._chunks():
            start = 0
            if skipped >= 0:
                nl = chunk.find(b"\n")
                if nl < 0:
                    skipped += len(chunk)
                    continue
                yield LongLine(line, skipped + nl)
                line, skipped, start = line + 1, -1, nl + 1
            if chunk.find(b"\n", start) < 0:
                pending += chunk[start:] if start else chunk
                if len(pending) > self._max_line:
                    skipped, pending = len(pending), bytearray()
                continue
            lines = chunk.split(b"\n")
            if start:
                del lines[0]  # the end of the over-long line just reported
            tail = lines.pop()  # the start of a line the next chunk finishes
            if pending:
                lines[0] = bytes(pending) + lines[0]
            pending = bytearray(tail)
            yield Lines(line, lines)
            line += len(lines)
        yield from self._tail(pending, skipped, line)

    def _tail(self, pending: bytearray, skipped: int, line: int) -> Iterator[Lines | LongLine]:
        if skipped >= 0:
            self.final_newline = False
            yield LongLine(line, skipped)
            self.lines = line
        elif pending:
            self.final_newline = False
            yield Lines(line, [bytes(pending)], ended=False)
            self.lines = line
        else:
            self.lines = line - 1


class RangeFile:
    """The lines of `src` whose first byte lies in [start, end), as a read-only file.

    Workers split one file this way without the parent shipping bytes to them: each range
    skips the line it starts inside (its predecessor owns it) and finishes the line that
    straddles its end.
    """

    def __init__(self, src: BinaryIO, start: int, end: int) -> None:
        self._src = src
        self._end = end
        self._pos = start
        self._finishing = False  # past `end`: only the rest of the straddling line remains
        self._done = False
        src.seek(max(0, start - 1))
        if start > 0 and src.read(1) != b"\n":
            self._skip_partial_line()

    def _skip_partial_line(self) -> None:
        # Look no further than `end`: inside a 1 GB line, each range must cost its own size.
        while self._pos < self._end - 1:
            chunk = self._src.read(min(DEFAULT_BLOCK_BYTES, self._end - 1 - self._pos))
            if not chunk:
                break
            nl = chunk.find(b"\n")
            if nl >= 0:
                self._pos += nl + 1
                self._src.seek(self._pos)
                return
            self._pos += len(chunk)
        self._done = True  # no line starts in this range

    def read(self, n: int = DEFAULT_BLOCK_BYTES) -> bytes:
        if self._done:
            return b""
        if not self._finishing:
            data = self._src.read(min(n, self._end - self._pos))
            self._pos += len(data)
            if self._pos >= self._end or not data:
                self._finishing = True
                self._done = not data or data.endswith(b"\n")
            return data
        data = self._src.read(n)
        nl = data.find(b"\n")
        if nl >= 0 or not data:
            self._done = True
            return data[: nl + 1]
        return data
