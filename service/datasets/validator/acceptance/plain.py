"""The common row, which every provider accepts, told apart cheaply from its typed struct.

The exact rules (`rules`) decode a row generically and walk it: fine for the few rows that may
be refused somewhere, a second decode for every other row. A row that decoded into the typed
structs and has only system/user/assistant turns with string contents, no names, tool calls,
weights or tools, and no `<|` in any text, is accepted by every provider's rules; anything else
goes to them. So this may only ever say yes where the rules say yes for every provider: the
tests compare the two.
"""

from __future__ import annotations

from service.datasets.validator.row.typed import UNSET, ChatMessage, DpoRow, OutputMessage, SftRow

_PLAIN_ROLES = frozenset(("system", "user", "assistant"))


def accepted_everywhere(row: DpoRow | SftRow) -> bool:
    if type(row) is DpoRow:
        inp = row.input
        if inp.tools is not UNSET or inp.parallel_tool_calls is not UNSET:
            return False
        return _plain_messages(inp.messages) and all(
            _plain_output(out[0]) for out in (row.preferred_output, row.non_preferred_output)
        )
    assert isinstance(row, SftRow)
    if row.tools is not UNSET or row.functions is not UNSET:
        return False
    messages = row.messages
    return _plain_messages(messages) and messages[-1].role == "assistant"


def _plain_messages(messages: list[ChatMessage]) -> bool:
    for m in messages:
        content = m.content
        if (
            m.role not in _PLAIN_ROLES
            or type(content) is not str
            or "<|" in content
            or m.name is not UNSET
            or m.tool_calls is not UNSET
            or m.tool_call_id is not UNSET
            or m.function_call is not UNSET
            or m.weight is not UNSET
        ):
            return False
    return True


def _plain_output(m: OutputMessage) -> bool:
    content = m.content
    return type(content) is str and "<|" not in content and m.tool_calls is UNSET
