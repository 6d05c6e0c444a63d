"""The line reader: blocks that cover every line, over-long lines dropped with bounded memory,
byte ranges that partition any file, pre-split batches equal to the blocks, and what the reader
learns about the file (BOM, final newline, line count, first line)."""

from __future__ import annotations

import io
import random
from typing import Any

from service.datasets.validator.reading.lines import (
    BOM,
    Block,
    LineReader,
    Lines,
    LongLine,
    RangeFile,
)


def _reader_items(data: bytes, **kw: Any) -> list[Block | LongLine]:
    return list(LineReader(io.BytesIO(data), **kw))


def test_reader_blocks_cover_every_line() -> None:
    data = b"".join(b"%d\n" % i for i in range(1000))
    items = _reader_items(data, block_bytes=64)
    assert all(isinstance(i, Block) for i in items)
    assert b"".join(i.data for i in items if isinstance(i, Block)) == data
    starts = [i.first_line for i in items if isinstance(i, Block)]
    assert starts[0] == 1 and starts == sorted(starts)


def test_reader_drops_over_long_lines() -> None:
    data = b"a\n" + b"x" * 1000 + b"\nb\n" + b"y" * 500
    items = _reader_items(data, block_bytes=64, max_line=100)
    longs = [i for i in items if isinstance(i, LongLine)]
    assert longs == [LongLine(2, 1000), LongLine(4, 500)]


def test_range_files_partition_any_file() -> None:
    rng = random.Random(3)
    for _ in range(300):
        lines = [b"x" * rng.choice([0, 1, 3, 40]) for _ in range(rng.randint(0, 30))]
        data = b"\n".join(lines) + (b"\n" if rng.random() < 0.5 else b"")
        step = rng.randint(1, 25)
        parts = []
        for start in range(0, max(len(data), 1), step):
            part = RangeFile(io.BytesIO(data), start, min(start + step, len(data)))
            chunks = []
            while chunk := part.read(rng.randint(1, 9)):
                chunks.append(chunk)
            parts.append(b"".join(chunks))
        assert b"".join(parts) == data


def test_line_batches_split_any_file_like_the_blocks() -> None:
    rng = random.Random(5)
    for _ in range(300):
        lines = [b"x" * rng.choice([0, 1, 5, 40, 130]) for _ in range(rng.randint(0, 25))]
        data = b"\n".join(lines) + (b"\n" if rng.random() < 0.5 else b"")
        reader = LineReader(io.BytesIO(data), block_bytes=rng.randint(1, 64), max_line=100)
        seen: list[bytes] = []
        for item in reader.batches():
            if isinstance(item, LongLine):
                assert item.line == len(seen) + 1 and item.length > 100
                seen.append(b"x" * item.length)
            else:
                assert isinstance(item, Lines) and item.first_line == len(seen) + 1
                seen.extend(item.lines)
        expected = data.split(b"\n")
        if data.endswith(b"\n") or not data:
            expected.pop()
        assert seen == expected and reader.lines == len(expected)


def test_the_reader_describes_the_file_it_read() -> None:
    reader = LineReader(io.BytesIO(BOM + b"[1]\nx"))
    assert list(reader) == [Block(1, b"[1]\n"), Block(2, b"x")]
    assert (reader.bom, reader.final_newline, reader.lines) == (True, False, 2)
    assert (reader.first_line, reader.bytes) == (b"[1]", len(BOM) + 5)
    kept = LineReader(io.BytesIO(BOM + b"a\n"), strip_bom=False)
    assert list(kept) == [Block(1, BOM + b"a\n")] and not kept.bom and kept.final_newline
