"""What Together checks in a JSONL training or validation file when a job starts.

Since the SDK's 2.15.0 the client checks only that each non-blank line is a JSON object; the
rest runs on the server after upload, and a file that breaks it ends the job `user_error`. The
rules (the service's own validator applies the same ones, and a test runs one file through both):

- every non-blank line is a JSON object; the file holds at least one example;
- DPO: `input.messages` is a non-empty list of messages with role system, user or assistant and
  string content; `preferred_output` and `non_preferred_output` are each a list of exactly one
  message whose role is `assistant` and whose `content` is a string (content parts are refused);
- SFT: `messages` is a non-empty list of messages with role system, user, assistant or tool and
  string content, at least one of them from the assistant.

`first_problem` is pure: it answers the first broken rule as (line number, JSON pointer into the
line, message), or None.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

DPO_INPUT_ROLES = ("system", "user", "assistant")
SFT_ROLES = ("system", "user", "assistant", "tool")
OUTPUTS = ("preferred_output", "non_preferred_output")


@dataclass(frozen=True)
class Problem:
    """The first broken rule: `line` is 1-based (None: the file as a whole), `path` a JSON
    pointer into that line's object ("" for the line itself)."""

    line: int | None
    path: str
    message: str

    def describe(self) -> str:
        where = "the file" if self.line is None else f"line {self.line}"
        at = f" at {self.path}" if self.path else ""
        return f"{where}{at}: {self.message}"


class _BrokenRuleError(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def examples(content: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of every non-blank line."""
    for number, line in enumerate(io.BytesIO(content), start=1):
        if line.strip():
            yield number, line


def first_problem(content: bytes, method: str) -> Problem | None:
    """The first rule `content` breaks for `method` ("sft" or "dpo"), or None."""
    count = 0
    for number, line in examples(content):
        count += 1
        try:
            example = _parse(line)
            if method == "dpo":
                _check_dpo(example)
            else:
                _check_sft(example)
        except _BrokenRuleError as broken:
            return Problem(number, broken.path, broken.message)
    if count == 0:
        return Problem(None, "", "the file has no examples; at least 1 is required")
    return None


def _parse(line: bytes) -> dict[str, Any]:
    try:
        value = msgspec.json.decode(line)
    except msgspec.DecodeError as exc:
        raise _BrokenRuleError("", f"not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise _BrokenRuleError("", "must be a JSON object")
    return value


def _check_dpo(example: dict[str, Any]) -> None:
    source = example.get("input")
    if not isinstance(source, dict):
        raise _BrokenRuleError("/input", _missing_or("must be an object", "input" in example))
    messages = source.get("messages")
    _check_messages(messages, "/input/messages", DPO_INPUT_ROLES, present="messages" in source)
    for key in OUTPUTS:
        _check_output(example.get(key), key, present=key in example)


def _check_output(value: Any, key: str, *, present: bool) -> None:
    path = f"/{key}"
    if not isinstance(value, list) or len(value) != 1:
        raise _BrokenRuleError(path, _missing_or("must be a list of exactly one message", present))
    message = value[0]
    if not isinstance(message, dict):
        raise _BrokenRuleError(f"{path}/0", "must be a message object")
    if message.get("role") != "assistant":
        raise _BrokenRuleError(f"{path}/0/role", "must be 'assistant'")
    if not isinstance(message.get("content"), str):
        raise _BrokenRuleError(f"{path}/0/content", "must be a string")


def _check_sft(example: dict[str, Any]) -> None:
    messages = example.get("messages")
    _check_messages(messages, "/messages", SFT_ROLES, present="messages" in example)
    assert isinstance(messages, list)  # _check_messages refused anything else
    if not any(message["role"] == "assistant" for message in messages):
        raise _BrokenRuleError("/messages", "needs at least one message from the assistant")


def _check_messages(
    messages: Any, path: str, roles: tuple[str, ...], *, present: bool = True
) -> None:
    if not isinstance(messages, list) or not messages:
        raise _BrokenRuleError(path, _missing_or("must be a non-empty list of messages", present))
    for index, message in enumerate(messages):
        where = f"{path}/{index}"
        if not isinstance(message, dict):
            raise _BrokenRuleError(where, "must be a message object")
        if message.get("role") not in roles:
            raise _BrokenRuleError(f"{where}/role", f"must be one of {', '.join(roles)}")
        if not isinstance(message.get("content"), str):
            raise _BrokenRuleError(f"{where}/content", "must be a string")


def _missing_or(rule: str, present: bool) -> str:
    return rule if present else "is missing"
