"""JSON-level findings for one line: why it does not decode, and duplicate keys.

msgspec (like most fast parsers) keeps the last of duplicate keys silently. Checking every line
with a slow pair-preserving parser would halve throughput, so the general path compares the
number of `":` sequences in the raw line with the number of keys the decoded row holds; only a
mismatch (or a key spaced from its colon, which that count misses) pays for the exact check.
The common row never gets here: `plain` has an exact count of its own.
"""

from __future__ import annotations

import json
import re
from typing import Any

from msgspec import UNSET
from msgspec.structs import astuple

from service.datasets.validator.codes import issue
from service.datasets.validator.hints import objects_run_together, run_together_message
from service.datasets.validator.report import Issue
from service.datasets.validator.row.typed import (
    ChatMessage,
    DpoRow,
    OutputMessage,
    SftRow,
    TextPart,
)

_BYTE_AT = re.compile(r"\(byte (\d+)\)")
_SPACED_KEY = re.compile(rb'"[ \t\r\n]+:')
_LONE_SURROGATE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])")


def decode_failure(raw: bytes, exc: Exception, line: int) -> Issue:
    """Classify why `raw` does not decode as JSON at all."""
    if isinstance(exc, UnicodeDecodeError):
        msg = f"invalid UTF-8 at byte {exc.start + 1} of the line; save the file as UTF-8"
        return issue(line, None, "invalid_utf8", msg)
    if isinstance(exc, RecursionError):
        msg = "the JSON is nested too deeply to parse (a few hundred levels at most)"
        return issue(line, None, "nesting_too_deep", msg)
    text = str(exc)
    found = _BYTE_AT.search(text)
    offset = int(found.group(1)) if found else None
    if offset is not None and raw[offset:].lstrip(b"-").startswith((b"NaN", b"Infinity")):
        msg = f"NaN/Infinity at byte {offset + 1}: JSON has no such numbers (use null or a string)"
        return issue(line, None, "nan_or_infinity", msg)
    if "truncated" in text and _LONE_SURROGATE.search(raw):
        msg = "a \\uD800-\\uDBFF escape without its low surrogate: not valid UTF-16, so not JSON"
        return issue(line, None, "invalid_json", msg)
    if "truncated" in text:
        msg = "invalid JSON: the line ends before the value does (is one object split over lines?)"
        return issue(line, None, "invalid_json", msg)
    if "trailing characters" in text and offset is not None and objects_run_together(raw, offset):
        return issue(line, None, "invalid_json", run_together_message(offset))
    detail = text.removeprefix("JSON is malformed: ")
    where = f" at byte {offset + 1}" if offset is not None else ""
    return issue(line, None, "invalid_json", f"invalid JSON{where}: {detail}")


def keys_in(value: object) -> int:
    """How many object keys the JSON behind a decoded value had (generic values)."""
    if isinstance(value, dict):
        return len(value) + sum(keys_in(v) for v in value.values() if isinstance(v, dict | list))
    if isinstance(value, list):
        return sum(keys_in(v) for v in value if isinstance(v, dict | list))
    return 0


def _nested_keys(m: ChatMessage | OutputMessage) -> int:
    """Keys inside a message's content parts, tool calls and function call."""
    n = 0
    content = m.content
    if type(content) is list:
        for part in content:
            n += 2 if type(part) is TextPart else 2 + keys_in(part.image_url)  # type: ignore[union-attr]
    if m.tool_calls:
        n += 5 * len(m.tool_calls)  # {id, type, function: {name, arguments}}
    if type(m) is ChatMessage and m.function_call:
        n += 2
    return n


def row_keys(row: DpoRow | SftRow) -> int:
    """Object keys in the JSON of a typed row, counted from the structs (cheap: no recursion
    into text)."""
    if type(row) is DpoRow:
        inp = row.input
        n = 3 + len(inp.__struct_fields__) - astuple(inp).count(UNSET)
        msgs: list[ChatMessage | OutputMessage] = [
            *inp.messages,
            row.preferred_output[0],
            row.non_preferred_output[0],
        ]
        tools = inp.tools
    else:
        assert isinstance(row, SftRow)
        n = len(row.__struct_fields__) - astuple(row).count(UNSET)
        msgs, tools = list(row.messages), row.tools
        if row.functions:
            n += keys_in(row.functions)
    for m in msgs:
        fields = astuple(m)
        n += len(fields) - fields.count(UNSET)
        if type(m.content) is not str or m.tool_calls:  # the common case stops here
            n += _nested_keys(m)
    if tools:
        for tool in tools:
            fn = tool.function
            n += 2 + len(fn.__struct_fields__) - astuple(fn).count(UNSET)
            if fn.parameters:
                n += keys_in(fn.parameters)
    return n


def duplicate_keys_suspected(raw: bytes, expected: int) -> bool:
    """`expected`: the keys the decoded value holds. A key spaced from its colon is not in
    `found`, so it could offset a duplicate: such a line always gets the exact check. What
    still escapes: a duplicate offset by a key that ends in a backslash (`"a\\\\":`)."""
    found = raw.count(b'":')
    if found == expected:
        return _SPACED_KEY.search(raw) is not None
    # `\":` inside strings (JSON text in content, tool arguments) is not a key.
    return found - raw.count(b'\\":') != expected or _SPACED_KEY.search(raw) is not None


def duplicate_keys(raw: bytes) -> list[str]:
    """The keys that occur twice in one object, found with a pair-preserving parser."""
    dups: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                dups.append(key)
            seen.add(key)
        return dict(items)

    try:
        json.loads(raw, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return dups
    return dups


def check_duplicate_keys(raw: bytes, expected: int, line: int) -> Issue | None:
    if not duplicate_keys_suspected(raw, expected):
        return None
    dups = duplicate_keys(raw)
    if not dups:
        return None
    names = ", ".join(repr(k) for k in dict.fromkeys(dups))
    msg = f"duplicate key {names} in one object: parsers disagree on which value wins"
    return issue(line, None, "duplicate_key", msg)
