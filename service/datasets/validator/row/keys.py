"""64-bit keys that identify a row's input and outputs, for the duplicate / contradiction tables.

Keys are only ever compared within one validation run, whose blocks all run in one process or
in pool workers forked from one process. So they are Python's own `hash()` of the decoded
strings: hashing every text of every row is a fifth of the validator's work, and `hash()`
costs half as much as UTF-8 encoding the texts for crc32 (real texts are rarely pure ASCII, and
encoding is the slow part), and it is the same in every process forked from one parent.
`key_probe()` travels with every block result, so the aggregator can refuse blocks from a
process with another hash secret (a `spawn` pool would be one) instead of silently missing
duplicates. Keys are signed 64-bit ints, as `hash()` returns them.
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from service.datasets.validator.row.typed import UNSET, DpoInput, OutputMessage

_ENCODER = msgspec.json.Encoder()


class RowFacts(NamedTuple):
    """What the dataset-level checks need from one row: 64-bit keys and lengths."""

    prompt_key: int
    pair_key: int
    reversed_key: int
    preferred_chars: int
    non_preferred_chars: int
    preferred_key: int  # the outputs' own keys: the edges of the prompt's preference graph
    non_preferred_key: int


def key_probe() -> int:
    """Equal in two processes exactly when their `hash()` of a string is."""
    return hash("ftjobs row keys")


def pair_key(prompt: int, first: int, second: int) -> int:
    """Order-sensitive mix of three keys: (p, a, b) and (p, b, a) differ."""
    return hash((prompt, first, second))


def plain_parts(inp: DpoInput) -> list[str] | None:
    """[role, text, role, text, ...] when the input is nothing but roles and string contents
    (the common shape, keyed without encoding); None for anything else."""
    if inp.tools is not UNSET or inp.parallel_tool_calls is not UNSET:
        return None
    parts: list[str] = []
    for m in inp.messages:
        content = m.content
        if (
            type(content) is not str
            or m.name is not UNSET
            or m.tool_calls is not UNSET
            or m.tool_call_id is not UNSET
            or m.function_call is not UNSET
            or m.weight is not UNSET
        ):
            return None
        parts.append(m.role)
        parts.append(content)
    return parts


def input_key(inp: DpoInput) -> int:
    """The key of an input: from its strings when plain, else from its JSON."""
    parts = plain_parts(inp)
    return hash(_ENCODER.encode(inp)) if parts is None else hash(tuple(parts))


def output_key(m: OutputMessage, text: str) -> int:
    """The key of an output: its text (`text_of` its content), and its tool calls if any."""
    if not m.tool_calls:
        return hash(text)
    return hash((text, _ENCODER.encode(m.tool_calls)))


def encoded_key(data: bytes) -> int:
    """The key of anything else, from its JSON (an SFT row)."""
    return hash(data)
