"""Hints for files that are not JSON Lines for a reason the sender can fix at its end: a CSV
file, or a JSONL file whose newlines were stripped on the way (`curl -d`/`--data` does that to
a file; `--data-binary` sends it as it is)."""

from __future__ import annotations

import msgspec

# A header row: two or more fields. A comma alone is not enough ("12,5" is a decimal comma).
_SEPARATORS = (b",", b"\t", b";")


def looks_like_csv(first_line: bytes) -> bool:
    """Line 1 is no JSON at all, and splits into named fields like a CSV header."""
    line = first_line.strip()
    if not line or line.startswith((b"{", b"[")):
        return False
    try:
        msgspec.json.decode(line)
    except msgspec.DecodeError:
        return any(_is_header(line.split(sep)) for sep in _SEPARATORS)
    return False  # a JSON scalar: wrong, but not CSV


def _is_header(fields: list[bytes]) -> bool:
    names = [field.strip().strip(b'"').strip() for field in fields]
    return len(names) >= 2 and all(name[:1].isalpha() for name in names)


def csv_message(first_line: bytes) -> str:
    shown = first_line.strip()[:80].decode("utf-8", "replace")
    return (
        f"this looks like CSV (line 1: {shown!r}), not JSON Lines: send JSONL, one JSON object "
        "per line, each row written as an example object"
    )


def objects_run_together(raw: bytes, offset: int) -> bool:
    """The trailing characters msgspec found after a line's value start another object.
    Its `(byte N)` counts that first character: it is raw[N - 1]."""
    return offset > 0 and raw[offset - 1 : offset] == b"{"


def run_together_message(byte: int) -> str:
    return (
        f"invalid JSON at byte {byte}: another JSON object starts on the same line, and JSON "
        "Lines needs each example on a line of its own. `curl -d` (`--data`) strips the "
        "newlines from a file: send it with `curl --data-binary @train.jsonl`"
    )
