"""The common DPO row, checked in one tight pass.

Nearly every row of a real dataset has the same shape (roles and string contents, no tools,
names, tool calls or weights) and no finding at all. For such a row the general rules
(`rules.check_dpo`, `jsonchecks.row_keys`) spend most of their time walking absent optional
fields and building paths nobody reads. `plain_facts` checks the same things for that shape
only and gives up (returns None) as soon as a row leaves the shape or *might* have a finding;
the general path then runs from scratch and reports it. So it may only ever accept a row the
general path accepts without a single issue, with the same facts: the tests compare the two.
"""

from __future__ import annotations

from service.datasets.formats import UNSET, DpoRow, OutputMessage
from service.datasets.rowkeys import plain_parts
from service.datasets.rules import RowFacts, same_after_whitespace

# Keys every plain row has besides role + content per input message: input, messages,
# preferred_output, non_preferred_output, and role + content in each output.
_FIXED_KEYS = 4 + 2 + 2


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
    # = jsonchecks.duplicate_keys_suspected, inlined: it runs on every line.
    expected = _FIXED_KEYS + len(parts)
    found = raw.count(b'":')
    if found != expected and found - raw.count(b'\\":') != expected:
        return None
    # = rowkeys.input_key, output_key and pair_key for this shape, inlined.
    hp, ha, hb = hash(tuple(parts)), hash(a), hash(b)
    return RowFacts(hp, hash((hp, ha, hb)), hash((hp, hb, ha)), len(a), len(b))


def _plain_output(m: OutputMessage) -> str | None:
    """The output's text when it is a plain, non-blank string without special tokens."""
    text = m.content
    if type(text) is not str or m.tool_calls is not UNSET or not text or text.isspace():
        return None
    if "|" in text and "<|" in text:
        return None
    return text
