"""The rules each provider applies to a fine-tuning file, one decoded row at a time.

Pure, and written for exactness rather than speed: they read the generic JSON value (dicts,
lists, strings), as a provider's server does, and name the first thing the provider refuses in a
row. They are the same rules our provider emulators enforce (`service/emulators/*/
dataset_rules.py`); the agreement tests run one corpus through both and compare line by line.

- openai: DPO `input.messages` a non-empty list of messages whose roles are system, user,
  assistant, tool or function; each output exactly one assistant message whose `content` is a
  string (OpenAI's DPO takes text only, and every documented example writes a string: content
  parts are refused), with no keys beyond role, content, name and tool_calls. SFT `messages` the
  same roles, ending with an assistant message, `weight` 0/1 on assistant messages only. No
  tokenizer special token anywhere. At least 10 examples.
- azure: OpenAI's rules, except that each output holds one or more messages whose roles are
  assistant or tool (at least one assistant), each with string content.
- together: DPO `input.messages` a non-empty list of system/user/assistant messages with string
  content; each output exactly one assistant message with string content. SFT `messages` of
  system/user/assistant/tool messages with string content, at least one from the assistant. At
  least 1 example.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal, NamedTuple, get_args

import msgspec

from service.datasets.validator.report import DatasetKind

Provider = Literal["openai", "azure", "together"]
PROVIDERS: tuple[Provider, ...] = get_args(Provider)
MIN_EXAMPLES: dict[Provider, int] = {"openai": 10, "azure": 10, "together": 1}

OPENAI_ROLES = ("system", "user", "assistant", "tool", "function")
TOGETHER_ROLES = ("system", "user", "assistant")
TOGETHER_SFT_ROLES = ("system", "user", "assistant", "tool")
OPENAI_OUTPUT_KEYS = frozenset(("role", "content", "name", "tool_calls"))
AZURE_OUTPUT_KEYS = OPENAI_OUTPUT_KEYS | {"tool_call_id"}
AZURE_OUTPUT_ROLES = ("assistant", "tool")
# The tokens OpenAI's file check refuses in any string of a row.
SPECIAL_TOKENS = ("<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>")
OUTPUTS = ("preferred_output", "non_preferred_output")

_DECODER = msgspec.json.Decoder()


class Problem(NamedTuple):
    """The first thing a provider refuses in a row: where (a JSON Pointer, None for the whole
    line) and why."""

    path: str | None
    message: str


RowRule = Callable[[dict[str, Any]], Problem | None]


def line_problem(raw: bytes, provider: Provider, kind: DatasetKind) -> Problem | None:
    """What `provider` refuses in one non-blank line, or None when it accepts it."""
    try:
        row = _DECODER.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return Problem(None, "the line is not valid JSON")
    return row_problem(row, provider, kind)


def row_problem(row: object, provider: Provider, kind: DatasetKind) -> Problem | None:
    if not isinstance(row, dict):
        return Problem(None, "the line is not a JSON object")
    return RULES[provider][kind](row)


# --- OpenAI and Azure -------------------------------------------------------------------------


def _openai_dpo(row: dict[str, Any]) -> Problem | None:
    return _compat_dpo(row, _one_assistant) or _special_token(row)


def _azure_dpo(row: dict[str, Any]) -> Problem | None:
    return _compat_dpo(row, _azure_outputs) or _special_token(row)


def _compat_dpo(
    row: dict[str, Any], outputs: Callable[[Any, str], Problem | None]
) -> Problem | None:
    if "messages" in row and "input" not in row:
        msg = "the row is in the SFT chat format ({messages}); a DPO job needs input and outputs"
        return Problem("/messages", msg)
    missing = _missing(row, ("input", *OUTPUTS))
    if missing is not None:
        return missing
    source = row["input"]
    if not isinstance(source, dict):
        return Problem("/input", "'input' must be an object")
    found = _compat_messages(source.get("messages"), "/input/messages")
    for key in OUTPUTS:
        found = found or outputs(row[key], f"/{key}")
    return found


def _one_assistant(value: Any, path: str) -> Problem | None:
    if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], dict):
        return Problem(path, "must be a list with exactly one message")
    message = value[0]
    if message.get("role") != "assistant":
        return Problem(f"{path}/0/role", "the output message's role must be 'assistant'")
    return _string_content(message, f"{path}/0") or _extra_keys(
        message, OPENAI_OUTPUT_KEYS, f"{path}/0"
    )


def _azure_outputs(value: Any, path: str) -> Problem | None:
    if not isinstance(value, list) or not value:
        return Problem(path, "must be a list of one or more messages")
    for index, message in enumerate(value):
        where = f"{path}/{index}"
        if not isinstance(message, dict):
            return Problem(where, "an output message must be an object")
        if message.get("role") not in AZURE_OUTPUT_ROLES:
            return Problem(f"{where}/role", "an output message's role must be assistant or tool")
        found = _string_content(message, where) or _extra_keys(message, AZURE_OUTPUT_KEYS, where)
        if found is not None:
            return found
    if not any(message["role"] == "assistant" for message in value):
        return Problem(path, "the output needs an assistant message")
    return None


def _compat_sft(row: dict[str, Any]) -> Problem | None:
    if "messages" not in row:
        return Problem("/messages", "missing 'messages'")
    messages = row["messages"]
    found = _compat_messages(messages, "/messages")
    if found is not None:
        return found
    last = len(messages) - 1
    if messages[last].get("role") != "assistant":
        return Problem(f"/messages/{last}/role", "the last message must be from the assistant")
    for index, message in enumerate(messages):
        # The same test as OpenAI's own: 0/1 (and so false/true) on an assistant message.
        if "weight" in message and (
            message["role"] != "assistant" or message["weight"] not in (0, 1)
        ):
            return Problem(f"/messages/{index}/weight", "'weight' is 0 or 1, on assistant only")
    return _special_token(row)


def _compat_messages(messages: Any, path: str) -> Problem | None:
    if not isinstance(messages, list) or not messages:
        return Problem(path, "must be a non-empty list of messages")
    for index, message in enumerate(messages):
        where = f"{path}/{index}"
        if not isinstance(message, dict):
            return Problem(where, "a message must be an object")
        if "role" not in message:
            return Problem(f"{where}/role", "the message has no 'role'")
        if message["role"] not in OPENAI_ROLES:
            return Problem(f"{where}/role", f"the role must be one of {', '.join(OPENAI_ROLES)}")
    return None


def _special_token(row: dict[str, Any]) -> Problem | None:
    for path, text in strings(row, ""):
        for token in SPECIAL_TOKENS:
            if token in text:
                return Problem(path, f"the text holds the special token {token}")
    return None


def strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string value under `value`, with its JSON Pointer (keys are not values)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{path}/{_escape(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{path}/{index}")


# --- Together ---------------------------------------------------------------------------------


def _together_dpo(row: dict[str, Any]) -> Problem | None:
    # In Together's order: the input, its messages, then each output (missing or not).
    source = row.get("input")
    if not isinstance(source, dict):
        return Problem(
            "/input", "'input' must be an object" if "input" in row else "missing 'input'"
        )
    found = _typed_messages(source.get("messages"), "/input/messages", TOGETHER_ROLES)
    for key in OUTPUTS:
        found = found or _together_output(row.get(key), f"/{key}", present=key in row)
    return found


def _together_output(value: Any, path: str, *, present: bool) -> Problem | None:
    if not isinstance(value, list) or len(value) != 1:
        rule = "must be a list of exactly one assistant message"
        return Problem(path, rule if present else f"missing {path[1:]!r}")
    message = value[0]
    if not isinstance(message, dict):
        return Problem(f"{path}/0", "the output message must be an object")
    if message.get("role") != "assistant":
        return Problem(f"{path}/0/role", "the output message's role must be 'assistant'")
    return _string_content(message, f"{path}/0")


def _together_sft(row: dict[str, Any]) -> Problem | None:
    if "messages" not in row:
        return Problem("/messages", "missing 'messages'")
    messages = row["messages"]
    found = _typed_messages(messages, "/messages", TOGETHER_SFT_ROLES)
    if found is not None:
        return found
    if not any(message["role"] == "assistant" for message in messages):
        return Problem("/messages", "the conversation needs at least one assistant message")
    return None


def _typed_messages(messages: Any, path: str, roles: tuple[str, ...]) -> Problem | None:
    """A non-empty list of messages with a role among `roles` and string content."""
    if not isinstance(messages, list) or not messages:
        return Problem(path, "must be a non-empty list of messages")
    for index, message in enumerate(messages):
        where = f"{path}/{index}"
        if not isinstance(message, dict):
            return Problem(where, "a message must be an object")
        if message.get("role") not in roles:
            return Problem(f"{where}/role", f"the role must be one of {', '.join(roles)}")
        found = _string_content(message, where)
        if found is not None:
            return found
    return None


# --- shared -----------------------------------------------------------------------------------


def _missing(row: dict[str, Any], keys: tuple[str, ...]) -> Problem | None:
    for key in keys:
        if key not in row:
            return Problem(f"/{key}", f"missing {key!r}")
    return None


def _string_content(message: dict[str, Any], path: str) -> Problem | None:
    if isinstance(message.get("content"), str):
        return None
    if isinstance(message.get("content"), list):
        return Problem(f"{path}/content", "content must be a string, not a list of parts")
    return Problem(f"{path}/content", "content must be a string")


def _extra_keys(message: dict[str, Any], allowed: frozenset[str], path: str) -> Problem | None:
    extras = sorted(set(message) - allowed)
    if extras:
        return Problem(f"{path}/{_escape(extras[0])}", f"the field {extras[0]!r} is not allowed")
    return None


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


RULES: dict[Provider, dict[DatasetKind, RowRule]] = {
    "openai": {"dpo": _openai_dpo, "sft": _compat_sft},
    "azure": {"dpo": _azure_dpo, "sft": _compat_sft},
    "together": {"dpo": _together_dpo, "sft": _together_sft},
}
