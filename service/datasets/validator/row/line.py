"""Validate one JSONL line: pure, no I/O. The fast path decodes straight into typed structs; a
line they refuse is decoded generically and walked to name every problem.
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from service.datasets.validator.codes import issue
from service.datasets.validator.report import DatasetKind, Issue
from service.datasets.validator.row.decoding import (
    check_duplicate_keys,
    decode_failure,
    keys_in,
    row_keys,
)
from service.datasets.validator.row.keys import RowFacts
from service.datasets.validator.row.plain import plain_facts
from service.datasets.validator.row.rules import check_dpo, check_sft
from service.datasets.validator.row.typed import (
    ANY_DECODER,
    DPO_DECODER,
    SFT_DECODER,
    DpoRow,
    SftRow,
)
from service.datasets.validator.row.walk import walk_row

Row = DpoRow | SftRow


class LineResult(NamedTuple):
    issues: list[Issue]
    row: Row | None  # the typed row when it is structurally valid (semantic errors allowed)
    facts: RowFacts | None
    # The typed row is the line as written: it decoded straight into the structs (the slow
    # path's row has the unknown keys the walk removed taken out, so it is not).
    as_written: bool = False


def validate_line(raw: bytes, line: int, kind: DatasetKind, *, plain: bool = True) -> LineResult:
    """All findings for one line (without its line ending).

    `plain=False` skips the fast path for common rows (`plain`): the tests check that both
    ways give the same result.
    """
    decoder = DPO_DECODER if kind == "dpo" else SFT_DECODER
    issues: list[Issue] = []
    try:
        row: Row = decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        slow = _slow_path(raw, line, kind, issues)
        if slow is None:
            return LineResult(issues, None, None)
        row = slow
        as_written = False
    else:
        as_written = True
        if plain and type(row) is DpoRow:
            facts = plain_facts(row, raw)
            if facts is not None:
                return LineResult(issues, row, facts, as_written=True)
        dup = check_duplicate_keys(raw, row_keys(row), line)
        if dup is not None:
            issues.append(dup)
            return LineResult(issues, None, None)  # which value counts is ambiguous
    facts = (
        check_dpo(row, line, issues) if isinstance(row, DpoRow) else check_sft(row, line, issues)
    )
    return LineResult(issues, row, facts, as_written)


def _slow_path(raw: bytes, line: int, kind: DatasetKind, issues: list[Issue]) -> Row | None:
    """Decode generically, walk, and return the typed row if only warnings were found."""
    try:
        obj = ANY_DECODER.decode(raw)
    except msgspec.ValidationError as exc:  # e.g. a number out of range
        issues.append(issue(line, None, "invalid_json", f"invalid JSON: {exc}"))
        return None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        issues.append(decode_failure(raw, exc, line))
        return None
    dup = check_duplicate_keys(raw, keys_in(obj), line)
    if dup is not None:
        issues.append(dup)
        return None  # which value counts is ambiguous: judging the rest would guess
    walk = walk_row(obj, kind, line)
    issues.extend(walk.issues)
    if walk.failed:
        return None
    try:
        # The walk removed unknown keys (reported as warnings), so the strict struct fits.
        if kind == "dpo":
            return msgspec.convert(obj, DpoRow)
        return msgspec.convert(obj, SftRow)
    except msgspec.ValidationError as exc:
        # The walk missed something the struct enforces: still report it, with its path.
        path, _, _ = _msgspec_path(str(exc))
        issues.append(issue(line, path, "schema_violation", str(exc)))
        return None


def _msgspec_path(message: str) -> tuple[str, str, str]:
    """'Expected `str`, got `int` - at `$.input.messages[0].role`' -> '/input/messages/0/role'."""
    head, sep, where = message.rpartition(" - at `")
    if not sep:
        return "", message, ""
    jp = where.rstrip("`").removeprefix("$")
    jp = jp.replace("[", ".").replace("]", "").replace(".", "/")
    return jp, head, where
