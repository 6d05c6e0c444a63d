"""Rules on a structurally valid row (a typed struct): content, roles in context, tools, and the
semantics of a preference pair. Pure: a row in, issues and the row's facts out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import msgspec

from service.datasets.validator.codes import issue
from service.datasets.validator.report import Issue
from service.datasets.validator.row.keys import (
    RowFacts,
    encoded_key,
    input_key,
    output_key,
    pair_key,
)
from service.datasets.validator.row.tools import ToolBox, check_calls, check_tool_ids, check_tools
from service.datasets.validator.row.typed import (
    UNSET,
    ChatMessage,
    Content,
    DpoRow,
    ImagePart,
    OutputMessage,
    SftRow,
    text_of,
)

SPECIAL_TOKEN = re.compile(r"<\|(?:endoftext|endofprompt|fim_prefix|fim_middle|fim_suffix)\|>")
_PREFIX = 16
NO_TOOLS = ToolBox()  # shared by every row without tools; never modified
_ENCODER = msgspec.json.Encoder()


def normalize_ws(text: str) -> str:
    return " ".join(text.split())


def same_after_whitespace(a: str, b: str) -> bool:
    first_a, first_b = a[:1], b[:1]
    if first_a != first_b and not first_a.isspace() and not first_b.isspace():
        return False  # most pairs: a different first character, and neither is whitespace
    # norm(x[:k]) is always a prefix of norm(x), so differing short prefixes prove the full
    # texts differ without normalising kilobytes of text per row.
    pa, pb = normalize_ws(a[:_PREFIX]), normalize_ws(b[:_PREFIX])
    if not (pa.startswith(pb) or pb.startswith(pa)):
        return False
    return normalize_ws(a) == normalize_ws(b)


def check_dpo(row: DpoRow, line: int, out: list[Issue]) -> RowFacts:
    messages = row.input.messages
    uses_tools = _messages(messages, "/input/messages", line, out, text_only=True)
    last = len(messages) - 1
    if messages[last].role == "assistant":
        msg = "the input ends with an assistant turn; the outputs must be the next assistant turn"
        out.append(issue(line, f"/input/messages/{last}/role", "input_ends_with_assistant", msg))
    box = NO_TOOLS
    if row.input.tools is not UNSET:
        box = check_tools(row.input.tools, "/input/tools", line, out)
    if uses_tools:
        for i, m in enumerate(messages):
            check_calls(m, box, f"/input/messages/{i}", line, out)
        check_tool_ids(messages, "/input/messages", line, out)
    pref, nonpref = row.preferred_output[0], row.non_preferred_output[0]
    a = _output(pref, "/preferred_output/0", box, line, out)
    b = _output(nonpref, "/non_preferred_output/0", box, line, out)
    _pair(a, b, pref, nonpref, line, out)
    _repeats(
        messages[last], ((a, "/preferred_output/0"), (b, "/non_preferred_output/0")), line, out
    )
    hp = input_key(row.input)
    ha, hb = output_key(pref, a), output_key(nonpref, b)
    return RowFacts(hp, pair_key(hp, ha, hb), pair_key(hp, hb, ha), len(a), len(b), ha, hb)


def check_sft(row: SftRow, line: int, out: list[Issue]) -> RowFacts:
    messages = row.messages
    uses_tools = _messages(messages, "/messages", line, out, text_only=False)
    last = len(messages) - 1
    if messages[last].role != "assistant":
        msg = f"the conversation must end with an assistant message, not {messages[last].role!r}"
        out.append(issue(line, f"/messages/{last}/role", "sft_last_not_assistant", msg))
    box = NO_TOOLS
    if row.tools is not UNSET:
        box = check_tools(row.tools, "/tools", line, out)
    if uses_tools:
        for i, m in enumerate(messages):
            check_calls(m, box, f"/messages/{i}", line, out)
        check_tool_ids(messages, "/messages", line, out)
    key = encoded_key(_ENCODER.encode(row))
    return RowFacts(key, key, 0, 0, 0, 0, 0)


def _messages(
    messages: Sequence[ChatMessage], path: str, line: int, out: list[Issue], *, text_only: bool
) -> bool:
    """Per-message rules; True when the conversation has tool calls or tool messages."""
    has_user = uses_tools = False
    for i, m in enumerate(messages):
        role = m.role
        has_user = has_user or role == "user"
        uses_tools = uses_tools or role == "tool" or m.tool_calls is not UNSET
        content = m.content
        if type(content) is str:  # the common case, kept cheap: one scan, no path strings
            if "|" in content and "<|" in content:  # "|" is a memchr, "<|" a slower scan
                _special_tokens(content, f"{path}/{i}/content", line, out)
        elif content is UNSET or content is None:
            _no_content(m, f"{path}/{i}", line, out)
        else:
            _text(content, f"{path}/{i}/content", line, out, text_only=text_only)
        if m.weight is not UNSET and m.role != "assistant":
            msg = f"'weight' is only allowed on assistant messages, not on {m.role!r}"
            out.append(issue(line, f"{path}/{i}/weight", "invalid_weight", msg))
    if not has_user:
        msg = "the conversation has no user message; the model learns replies to nothing"
        out.append(issue(line, path, "input_without_user", msg))
    return uses_tools


def _no_content(m: ChatMessage, path: str, line: int, out: list[Issue]) -> None:
    if m.role == "assistant" and (m.tool_calls is not UNSET or m.function_call is not UNSET):
        return
    msg = f"a {m.role!r} message needs 'content'"
    out.append(issue(line, f"{path}/content", "missing_content", msg))


def _text(content: Content, path: str, line: int, out: list[Issue], *, text_only: bool) -> None:
    if isinstance(content, list) and text_only:
        for j, part in enumerate(content):
            if isinstance(part, ImagePart):
                msg = "DPO takes text only; this image part would make the job fail"
                out.append(issue(line, f"{path}/{j}/type", "non_text_content", msg))
    text = text_of(content)
    if "|" in text and "<|" in text:
        _special_tokens(text, path, line, out)


def _special_tokens(text: str, path: str, line: int, out: list[Issue]) -> None:
    found = SPECIAL_TOKEN.search(text)
    if found:
        msg = f"the text contains the special token {found.group()}, which fails the job"
        out.append(issue(line, path, "special_token", msg))


def _output(m: OutputMessage, path: str, box: ToolBox, line: int, out: list[Issue]) -> str:
    content = m.content
    if type(content) is str:
        text = content
        if "|" in text and "<|" in text:
            _special_tokens(text, f"{path}/content", line, out)
    else:
        text = text_of(content)
        if content is not UNSET and content is not None:
            _text(content, f"{path}/content", line, out, text_only=True)
    if m.tool_calls:
        check_calls(m, box, path, line, out)
    elif content is UNSET or content is None:
        msg = "the output has neither text content nor tool calls"
        out.append(issue(line, f"{path}/content", "output_without_text", msg))
    elif not text or text.isspace():
        msg = "the output text is empty or only whitespace"
        out.append(issue(line, f"{path}/content", "empty_output", msg))
    return text


def _pair(
    a: str, b: str, pref: OutputMessage, nonpref: OutputMessage, line: int, out: list[Issue]
) -> None:
    if pref.tool_calls != nonpref.tool_calls:
        return
    if a == b:
        if (a and not a.isspace()) or pref.tool_calls:
            msg = "preferred and non-preferred outputs are identical: the pair teaches nothing"
            out.append(issue(line, "/non_preferred_output/0", "identical_outputs", msg))
    elif same_after_whitespace(a, b):
        msg = "preferred and non-preferred outputs differ only in whitespace"
        out.append(issue(line, "/non_preferred_output/0", "identical_outputs_whitespace", msg))
    elif a and b and is_prefix_pair(a, b):
        short, full = (
            ("non-preferred", "preferred") if len(b) < len(a) else ("preferred", "non-preferred")
        )
        msg = (
            f"the {short} output is the beginning of the {full} one ({min(len(a), len(b)):,} of "
            f"{max(len(a), len(b)):,} characters): the pair only teaches where to stop; if one "
            "of them was cut off (max_tokens), fix or drop it"
        )
        out.append(issue(line, "/non_preferred_output/0", "output_is_prefix", msg))


def is_prefix_pair(a: str, b: str) -> bool:
    """One text begins with the other (`a != b`): a reply cut short, e.g. at max_tokens."""
    return a.startswith(b) or b.startswith(a)


def repeats(text: str, last_input: str) -> bool:
    """An output that is the last input message again, give or take whitespace."""
    return bool(text) and not text.isspace() and same_after_whitespace(text, last_input)


def _repeats(
    last: ChatMessage, outputs: tuple[tuple[str, str], ...], line: int, out: list[Issue]
) -> None:
    said = last.content if type(last.content) is str else text_of(last.content)
    for text, path in outputs:
        if repeats(text, said):
            msg = (
                f"the output repeats the last input message ({last.role!r}) word for word: "
                "an echo, not an answer"
            )
            out.append(issue(line, f"{path}/content", "output_repeats_input", msg))
