"""The fast path for common rows (`plain`) agrees with the general rules: on every line of the
conformance table, on tricky and on random rows; duplicate keys and escaped special tokens leave
it for the general path."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from service.datasets.validator.row.line import validate_line
from service.datasets.validator.row.plain import plain_facts
from tests.datasets.helpers import STOCK_TOOL, dpo, edit, msg
from tests.datasets.validator.test_conformance import CASES, SFT_CASES


def _agree(raw: bytes, kind: Any = "dpo") -> bool:
    """Both ways give the same issues, row and facts; True when the fast path took it."""
    fast = validate_line(raw, 7, kind)
    general = validate_line(raw, 7, kind, plain=False)
    assert fast.issues == general.issues
    assert fast.facts == general.facts
    assert fast.row == general.row
    if general.row is None or kind != "dpo":
        return False
    return plain_facts(general.row, raw) is not None  # type: ignore[arg-type]


@pytest.mark.parametrize("case", [*CASES, *SFT_CASES], ids=lambda c: c.id)
def test_conformance_lines_agree(case: Any) -> None:
    kind = "sft" if case in SFT_CASES else "dpo"
    for raw in case.data.split(b"\n"):
        _agree(raw.rstrip(b"\r"), kind)


def _line(row: dict[str, Any], **dumps: Any) -> bytes:
    return json.dumps(row, **dumps).encode()


PLAIN = dpo(1)
TRICKY = {
    # Special tokens in any text: the fast path hands them on (escaped spellings: below).
    "special_in_input": (edit(PLAIN, "input/messages/1/content", "a <|endoftext|> b"), False),
    "special_in_output": (edit(PLAIN, "preferred_output/0/content", "x <|fim_middle|>"), False),
    "pipe_only": (edit(PLAIN, "input/messages/1/content", "a | b || c"), True),
    "not_special": (edit(PLAIN, "input/messages/1/content", "<|nothing|>"), False),
    # Text that looks like keys: `\":` in the raw line, which is not a key.
    "keys_in_text": (edit(PLAIN, "preferred_output/0/content", '{"role": "user"}'), True),
    "colon_quote_text": (edit(PLAIN, "input/messages/0/content", 'say ":" and \\": "'), True),
    # Pairs the general rules warn about: one output the other cut short, an echo of the input.
    "prefix_pair": (edit(PLAIN, "non_preferred_output/0/content", "The answer"), False),
    "echo": (edit(PLAIN, "preferred_output/0/content", " What is 2 + 2?  (question 1)"), False),
    "almost_prefix": (edit(PLAIN, "non_preferred_output/0/content", "The answer is 5."), True),
    # Everything the general rules report, or that leaves the plain shape.
    "last_assistant": (edit(PLAIN, "input/messages/1/role", "assistant"), False),
    "no_user": (edit(PLAIN, "input/messages/1/role", "system"), False),
    "tool_turn": (edit(PLAIN, "input/messages/1/role", "tool"), False),
    "name": (edit(PLAIN, "input/messages/1/name", "bob"), False),
    "weight": (edit(PLAIN, "input/messages/0/weight", 1), False),
    "parallel": (edit(PLAIN, "input/parallel_tool_calls", True), False),
    "parts": (edit(PLAIN, "input/messages/1/content", [{"type": "text", "text": "hi"}]), False),
    "identical": (dpo(1, pref="same", nonpref="same"), False),
    "whitespace_only": (dpo(1, pref=" \n\t"), False),
    "empty": (dpo(1, nonpref=""), False),
    "same_after_ws": (dpo(1, pref=" a  b", nonpref="a b "), False),
    "first_char_space": (dpo(1, pref=" a", nonpref="b"), True),
    "unicode": (dpo(1, pref="naïve 🙂 数据", nonpref="数据 🙂"), True),
    "no_system": (dpo(1, system=None), True),
}


@pytest.mark.parametrize("name", sorted(TRICKY))
@pytest.mark.parametrize("ascii_only", [False, True])
def test_tricky_rows_agree(name: str, ascii_only: bool) -> None:
    row, fast = TRICKY[name]
    assert _agree(_line(row, ensure_ascii=ascii_only)) is fast


def test_escaped_special_tokens_are_found() -> None:
    raw = _line(PLAIN).replace(b"What is", b"\\u003c|endoftext\\u007c> What is")
    found = validate_line(raw, 1, "dpo")
    assert [i.code for i in found.issues] == ["special_token"]
    raw = _line(PLAIN).replace(b"What is", b"<\\u007Cendoftext|> What is")
    assert [i.code for i in validate_line(raw, 1, "dpo").issues] == ["special_token"]


@pytest.mark.parametrize(
    "raw",
    [
        # A real duplicate, with text that contains `\":` as well.
        _line(edit(PLAIN, "preferred_output/0/content", '{"a": 1}')).replace(
            b'"role": "user"', b'"role": "user", "role": "user"'
        ),
        # Duplicates spaced from their colons, spelled with an escape, in a nested object.
        _line(PLAIN).replace(b'"role": "user"', b'"role" : "user", "role" :"system"'),
        _line(PLAIN).replace(b'"role": "user"', b'"role": "user", "rol\\u0065": "user"'),
        _line(PLAIN).replace(b'"input": {', b'"input": {"messages": [], '),
        # A duplicate offset, in the fast path's quote count, by quotes written `\u0022`
        # (they are in the text but put no `"` in the line).
        _line(edit(PLAIN, "preferred_output/0/content", 'say "a" "b"'))
        .replace(b'\\"', b"\\u0022")
        .replace(b'"role": "user"', b'"role": "user", "role": "user"'),
        # A duplicate offset, in the general path's `":` count, by a key spaced from its colon.
        _line(PLAIN)
        .replace(b'"role": "user"', b'"role": "user", "role": "user"')
        .replace(b'"content": "', b'"content" : "', 1),
        _line(edit(PLAIN, "input/tools", [STOCK_TOOL]))
        .replace(b'"role": "user"', b'"role": "user", "role": "user"')
        .replace(b'"content": "', b'"content"\t: "', 1),
    ],
)
def test_duplicate_keys_leave_the_fast_path(raw: bytes) -> None:
    assert _agree(raw) is False
    assert [i.code for i in validate_line(raw, 1, "dpo").issues] == ["duplicate_key"]


def _random_text(rng: random.Random) -> str:
    pieces = ["a", " ", "\n", '"', ":", '":', "\\", "|", "<", "<|", "é", "数", "🙂", "{", "}"]
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))


def test_random_rows_agree() -> None:
    rng = random.Random(7)
    taken = 0
    for _ in range(600):
        row = dpo(rng.randint(0, 3), pref=_random_text(rng), nonpref=_random_text(rng))
        row["input"]["messages"][-1]["content"] = _random_text(rng)
        if rng.random() < 0.2:
            row["input"]["messages"].append(msg(rng.choice(["user", "assistant"]), "x"))
        compact = rng.random() < 0.5
        dumps: dict[str, Any] = {"ensure_ascii": rng.random() < 0.5}
        if compact:
            dumps["separators"] = (",", ":")
        taken += _agree(_line(row, **dumps))
    assert taken > 100  # the fast path did take the plain rows among them
