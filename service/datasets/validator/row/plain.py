"""The common DPO row, checked in one tight pass.

Nearly every row of a real dataset has the same shape (roles and string contents, no tools,
names, tool calls or weights) and no finding at all. For such a row the general rules
(`rules.check_dpo`, `decoding.row_keys`) spend most of their time walking absent optional
fields and building paths nobody reads. `plain_facts` checks the same things for that shape
only and gives up (returns None) as soon as a row leaves the shape or *might* have a finding;
the general path then runs from scratch and reports it. So it may only ever accept a row the
general path accepts without a single issue, with the same facts: the tests compare the two.
"""

from __future__ import annotations

from service.datasets.validator.row.keys import RowFacts, plain_parts
from service.datasets.validator.row.rules import repeats, same_after_whitespace
from service.datasets.validator.row.typed import UNSET, DpoRow, OutputMessage

# Quotes every plain row has besides 8 per input message (its keys role and content, its
# strings role and content): the keys input, messages, preferred_output and
# non_preferred_output, and keys and strings role and content in each output.
_FIXED_QUOTES = 2 * (4 + 4 + 4)


def plain_facts(row: DpoRow, raw: bytes) -> RowFacts | None:
    """The row's facts when it is plain and has no finding; None sends it to the general path.

    `raw` is the line `row` was decoded from (for the duplicate-key check).
    """
    parts = plain_parts(row.input)
    if parts is None:
        return None
    roles = parts[0::2]
    # A tool turn must answer an earlier call; no user turn is a warning; a last assistant
    # turn is an error: the general rules say which, with the path.
    if "tool" in roles or "user" not in roles or roles[-1] == "assistant":
        return None
    for text in parts[1::2]:
        # "|" is found with memchr; "<|" alone would cost a slower scan of every text.
        if "|" in text and "<|" in text:
            return None
    a = _plain_output(row.preferred_output[0])
    b = _plain_output(row.non_preferred_output[0])
    if a is None or b is None or a == b or same_after_whitespace(a, b):
        return None
    if a.startswith(b) or b.startswith(a):  # = rules.is_prefix_pair, inlined
        return None
    last = parts[-1]
    first = last[:1]
    # = rules.repeats for either output, behind the test that ends it for nearly every row
    # (a different first character, none of them whitespace) without two calls per output.
    if (
        a[:1] == first or b[:1] == first or first.isspace() or a[:1].isspace() or b[:1].isspace()
    ) and (repeats(a, last) or repeats(b, last)):
        return None
    if _extra_key_possible(raw, _FIXED_QUOTES + 4 * len(parts), parts, a, b):
        return None
    # = keys.input_key, output_key and pair_key for this shape, inlined.
    hp, ha, hb = hash(tuple(parts)), hash(a), hash(b)
    return RowFacts(hp, hash((hp, ha, hb)), hash((hp, hb, ha)), len(a), len(b), ha, hb)


def _extra_key_possible(raw: bytes, quotes: int, parts: list[str], a: str, b: str) -> bool:
    """Whether the line may hold a key the decoded row does not (a duplicate: msgspec keeps
    the last value). Exact, and the cheapest such test: `quotes` is what the row's keys and
    strings take; every other `"` in the line is a quote inside a text, written `\\"`. A
    duplicate key adds at least two quotes, which the texts' own quotes cannot explain unless
    some are written `\\u0022` (which puts no `"` in the line); then the general path decides.
    A single-byte count runs at ~2.5 GB/s, twice the `":` count the general path uses.
    """
    extra = raw.count(b'"') - quotes
    if not extra:
        return False  # the common case: no quotes in any text
    for text in parts[1::2]:
        if '"' in text:
            extra -= text.count('"')
    extra -= a.count('"') + b.count('"')
    return extra != 0 or b"\\u0022" in raw


def _plain_output(m: OutputMessage) -> str | None:
    """The output's text when it is a plain, non-blank string without special tokens."""
    text = m.content
    if type(text) is not str or m.tool_calls is not UNSET or not text or text.isspace():
        return None
    if "|" in text and "<|" in text:
        return None
    return text
