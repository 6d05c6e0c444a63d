"""The SFT stage's training file, built from a DPO dataset (pure, streaming).

Each selected DPO row becomes one SFT row: the input messages, then the preferred output as the
final assistant turn; tools (and `parallel_tool_calls`) come along. The selection is exact (the
requested number of rows) and reproducible: selection sampling (Knuth's Algorithm S) whose
uniform draws are a keyed hash of (seed, row index), so one pass in file order, constant memory,
and the same seed always picks the same rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import msgspec

from service.datasets.validator import BOM

_DECODE = msgspec.json.Decoder(dict[str, Any])
_ENCODE = msgspec.json.Encoder()
_CARRIED = ("tools", "parallel_tool_calls")


def sft_row(dpo_row: dict[str, Any]) -> dict[str, Any]:
    source = dpo_row["input"]
    row: dict[str, Any] = {"messages": [*source["messages"], *dpo_row["preferred_output"]]}
    row.update((key, source[key]) for key in _CARRIED if key in source)
    return row


def sft_line(dpo_line: bytes) -> bytes:
    return _ENCODE.encode(sft_row(_DECODE.decode(dpo_line))) + b"\n"


def rows(lines: Iterable[bytes]) -> Iterator[bytes]:
    """The examples of a stored JSONL file: its non-blank lines, without a leading BOM (the
    validator allows both, with a warning)."""
    for number, line in enumerate(lines):
        row = line.removeprefix(BOM) if number == 0 else line
        if row.strip():
            yield row


def draw(seed: int, index: int) -> float:
    """A uniform number in [0, 1) that only (seed, index) decide."""
    key = seed.to_bytes(8, "big", signed=True)
    digest = hashlib.blake2b(index.to_bytes(8, "big"), key=key, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def select(examples: Iterable[bytes], *, total: int, size: int, seed: int) -> Iterator[bytes]:
    """`size` of the `total` examples, in file order. Row i is kept with probability
    (still needed) / (still to come), which keeps exactly `size` rows, every subset equally
    likely."""
    needed = min(size, total)
    for index, example in enumerate(examples):
        if needed <= 0 or index >= total:
            return
        if draw(seed, index) * (total - index) < needed:
            needed -= 1
            yield example


def count_rows(source: BinaryIO) -> int:
    return sum(1 for _ in rows(source))


def build(source: BinaryIO, sink: BinaryIO, *, size: int, seed: int) -> int:
    """Writes the SFT rows for `size` examples of the DPO file `source`; returns how many were
    written. Reads the source twice (count, then select), never whole."""
    total = count_rows(source)
    source.seek(0)
    written = 0
    for example in select(rows(source), total=total, size=size, seed=seed):
        sink.write(sft_line(example))
        written += 1
    return written
