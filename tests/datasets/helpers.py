"""Builders for dataset test files: rows as dicts, files as bytes, findings as (line, code)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from service.datasets.validator import (
    DatasetKind,
    IngestResult,
    SourceFormat,
    ValidationReport,
    ingest_file,
)

Row = dict[str, Any]
# Real files, copied byte for byte (sources and licences in peer_data/README.txt).
PEER_DATA = Path(__file__).resolve().parent / "peer_data"

STOCK_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_stock_price",
        "description": "Last price of a stock",
        "parameters": {
            "type": "object",
            "properties": {
                "symbol": {"type": "string"},
                "days": {"type": "integer", "minimum": 1},
            },
            "required": ["symbol"],
            "additionalProperties": False,
        },
    },
}


def msg(role: str, content: Any = "hello") -> Row:
    return {"role": role, "content": content}


def call(
    name: str = "get_stock_price", arguments: str = '{"symbol": "GS"}', cid: str = "c1"
) -> Row:
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": arguments}}


def dpo(
    i: int = 0,
    *,
    pref: Any = "The answer is 4.",
    nonpref: Any = "I don't know.",
    system: str | None = "Be brief.",
    tools: list[Any] | None = None,
) -> Row:
    messages = [msg("system", system)] if system is not None else []
    messages.append(msg("user", f"What is 2 + 2? (question {i})"))
    inp: Row = {"messages": messages}
    if tools is not None:
        inp["tools"] = tools
    return {
        "input": inp,
        "preferred_output": [msg("assistant", pref)],
        "non_preferred_output": [msg("assistant", nonpref)],
    }


def sft(i: int = 0) -> Row:
    return {"messages": [msg("user", f"Say hi ({i})"), msg("assistant", f"Hi {i}!")]}


def good(n: int = 10, start: int = 0) -> list[Row]:
    return [dpo(i) for i in range(start, start + n)]


def with_row(row: Row, *, at: int = 10, total: int = 10) -> list[Any]:
    """`total` good rows with `row` placed at 1-based line `at` (replacing a good one)."""
    rows: list[Any] = good(total)
    rows[at - 1] = row
    return rows


def edit(row: Row, path: str, value: Any) -> Row:
    """A deep copy of `row` with the value at a JSON-Pointer-like path set (or deleted)."""
    out = copy.deepcopy(row)
    parts = [int(p) if p.isdigit() else p for p in path.strip("/").split("/")]
    target: Any = out
    for part in parts[:-1]:
        target = target[part]
    if value is DELETE:
        del target[parts[-1]]
    else:
        target[parts[-1]] = value
    return out


DELETE = object()


def jsonl(rows: list[Any], *, end: bytes = b"\n") -> bytes:
    """Rows as JSON Lines: dicts are encoded, str/bytes are written as the raw line."""
    lines = []
    for row in rows:
        if isinstance(row, bytes):
            lines.append(row)
        elif isinstance(row, str):
            lines.append(row.encode())
        else:
            lines.append(json.dumps(row, ensure_ascii=False).encode())
    return b"\n".join(lines) + end


def run(
    tmp: Path,
    data: bytes,
    *,
    kind: DatasetKind = "dpo",
    fmt: SourceFormat = "openai",
    tokens: bool = False,
    name: str = "data.jsonl",
) -> IngestResult:
    src = tmp / name
    src.write_bytes(data)
    return ingest_file(src, None, kind=kind, fmt=fmt, count_tokens=tokens)


def findings(report: ValidationReport) -> list[tuple[int | None, str]]:
    """(line, code) of every reported issue, errors and warnings, in a stable order."""
    items = [*report.errors, *report.warnings]
    return sorted(((i.line, i.code) for i in items), key=lambda t: (t[0] or 0, t[1]))


def element_lines(text: str) -> list[int]:
    """The line where each element of a JSON array starts, found with the json module (a
    reference for the validator's streaming scanner)."""
    decoder = json.JSONDecoder()
    starts: list[int] = []
    pos = text.index("[") + 1
    while True:
        while text[pos] in " \t\r\n,":
            pos += 1
        if text[pos] == "]":
            return starts
        starts.append(text.count("\n", 0, pos) + 1)
        _, pos = decoder.raw_decode(text, pos)
