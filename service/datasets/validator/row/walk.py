"""The slow path: walk a decoded JSON row and report every structural problem with its path.

It runs only for rows that the typed structs in `typed` refused, so it mirrors exactly what
those structs enforce (types, roles, list lengths, known keys). Unknown keys are reported and
removed in place, so a row whose only problems are warnings can still be converted to the
typed struct and go through the semantic rules.
"""

from __future__ import annotations

from typing import Any

from service.datasets.validator.codes import issue, pointer
from service.datasets.validator.convert.formats import FOREIGN_FORMATS, detect
from service.datasets.validator.report import DatasetKind, Issue
from service.datasets.validator.row.typed import INPUT_ROLES

INPUT_KEYS = frozenset(
    ("role", "content", "name", "tool_calls", "tool_call_id", "function_call", "weight")
)
OUTPUT_KEYS = frozenset(("role", "content", "tool_calls"))
_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return _JSON_TYPES.get(type(value), type(value).__name__)


class Walk:
    """Issues found in one row; `line` is attached to every issue."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.issues: list[Issue] = []

    def add(self, path: str, code: str, message: str) -> None:
        self.issues.append(issue(self.line, path, code, message))

    def expect(self, value: object, kind: type, path: str, what: str) -> bool:
        """True when `value` has the JSON type `kind`; otherwise report wrong_type."""
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if not ok:
            self.add(
                path, "wrong_type", f"{what} must be {_JSON_TYPES[kind]}, not {json_type(value)}"
            )
        return ok

    def unknown_keys(self, obj: dict[str, Any], known: frozenset[str], path: str) -> None:
        for key in [k for k in obj if k not in known]:
            self.add(
                pointer(path, key),
                "unknown_field",
                f"unknown field {key!r}: OpenAI does not document it and may reject the file",
            )
            del obj[key]

    @property
    def failed(self) -> bool:
        return any(i.severity == "error" for i in self.issues)


def walk_row(obj: object, kind: DatasetKind, line: int) -> Walk:
    w = Walk(line)
    if not isinstance(obj, dict):
        w.add("", "not_an_object", f"each line must be a JSON object, not {json_type(obj)}")
    elif kind == "dpo":
        _dpo_row(w, obj)
    else:
        _sft_row(w, obj)
    return w


def _dpo_row(w: Walk, row: dict[str, Any]) -> None:
    foreign = detect(row)
    if foreign in FOREIGN_FORMATS:
        w.add(
            "",
            "foreign_format",
            f"this row looks like the {foreign} preference format, not OpenAI's; upload with "
            f"format={foreign} (or format=auto) to convert it",
        )
        return
    if "messages" in row and "input" not in row:
        w.add(
            "/messages",
            "sft_row_in_dpo",
            "this row is in the SFT chat format ({messages: [...]}); a DPO row needs "
            "input.messages, preferred_output and non_preferred_output",
        )
        return
    w.unknown_keys(row, frozenset(("input", "preferred_output", "non_preferred_output")), "")
    if "input" not in row:
        w.add("/input", "missing_field", "missing 'input' (an object holding 'messages')")
    elif w.expect(row["input"], dict, "/input", "'input'"):
        _dpo_input(w, row["input"])
    for name in ("preferred_output", "non_preferred_output"):
        if name not in row:
            w.add(
                f"/{name}", "missing_field", f"missing {name!r}: a list with one assistant message"
            )
        elif w.expect(row[name], list, f"/{name}", f"{name!r}"):
            _outputs(w, row[name], f"/{name}", name)


def _dpo_input(w: Walk, inp: dict[str, Any]) -> None:
    w.unknown_keys(inp, frozenset(("messages", "tools", "parallel_tool_calls")), "/input")
    _conversation(w, inp, "/input")


def _sft_row(w: Walk, row: dict[str, Any]) -> None:
    if "input" in row and "preferred_output" in row:
        w.add(
            "/input",
            "dpo_row_in_sft",
            "this row is a DPO preference row; an SFT row is {messages: [...]} ending with "
            "the assistant reply",
        )
        return
    w.unknown_keys(row, frozenset(("messages", "tools", "parallel_tool_calls", "functions")), "")
    _conversation(w, row, "")
    if "functions" in row:
        w.expect(row["functions"], list, "/functions", "'functions'")


def _conversation(w: Walk, obj: dict[str, Any], path: str) -> None:
    """messages (+ tools, parallel_tool_calls), shared by a DPO input and an SFT row."""
    msgs_path = f"{path}/messages"
    if "messages" not in obj:
        w.add(msgs_path, "missing_field", "missing 'messages': a non-empty list of messages")
    elif w.expect(obj["messages"], list, msgs_path, "'messages'"):
        if not obj["messages"]:
            w.add(msgs_path, "empty_messages", "'messages' is empty; it needs at least one")
        for i, msg in enumerate(obj["messages"]):
            message(w, msg, pointer(msgs_path, i), output=False)
    if "tools" in obj and w.expect(obj["tools"], list, f"{path}/tools", "'tools'"):
        for i, tool in enumerate(obj["tools"]):
            tool_definition(w, tool, f"{path}/tools/{i}")
    if "parallel_tool_calls" in obj:
        w.expect(obj["parallel_tool_calls"], bool, f"{path}/parallel_tool_calls", "it")


def _outputs(w: Walk, outs: list[Any], path: str, name: str) -> None:
    if len(outs) != 1:
        w.add(
            path,
            "output_count",
            f"{name!r} must hold exactly one assistant message; it holds {len(outs)}",
        )
    for i, msg in enumerate(outs):
        message(w, msg, pointer(path, i), output=True)


def message(w: Walk, msg: object, path: str, *, output: bool) -> None:
    if not w.expect(msg, dict, path, "a message"):
        return
    assert isinstance(msg, dict)
    w.unknown_keys(msg, OUTPUT_KEYS if output else INPUT_KEYS, path)
    _role(w, msg, path, output=output)
    if msg.get("content") is not None:
        content(w, msg["content"], f"{path}/content")
    for key in ("name", "tool_call_id"):
        if key in msg:
            w.expect(msg[key], str, f"{path}/{key}", f"{key!r}")
    if "tool_calls" in msg and w.expect(msg["tool_calls"], list, f"{path}/tool_calls", "it"):
        for i, call in enumerate(msg["tool_calls"]):
            tool_call(w, call, f"{path}/tool_calls/{i}")
    if "function_call" in msg:
        _function_call(w, msg["function_call"], f"{path}/function_call")
    if "weight" in msg and not (type(msg["weight"]) is int and msg["weight"] in (0, 1)):
        w.add(f"{path}/weight", "invalid_weight", "'weight' must be 0 or 1")


def _role(w: Walk, msg: dict[str, Any], path: str, *, output: bool) -> None:
    role = msg.get("role")
    allowed = ("assistant",) if output else INPUT_ROLES
    if "role" not in msg:
        w.add(f"{path}/role", "missing_field", "missing 'role'")
    elif w.expect(role, str, f"{path}/role", "'role'") and role not in allowed:
        code = "output_role" if output else "invalid_role"
        w.add(f"{path}/role", code, f"role {role!r} is not allowed here; use one of {allowed}")


def content(w: Walk, value: object, path: str) -> None:
    if isinstance(value, str):
        return
    if not isinstance(value, list):
        w.add(
            path,
            "wrong_type",
            f"content must be a string or a list of parts, not {json_type(value)}",
        )
        return
    for i, part in enumerate(value):
        _content_part(w, part, pointer(path, i))


def _content_part(w: Walk, part: object, path: str) -> None:
    if not isinstance(part, dict):
        w.add(
            path, "invalid_content_part", f"a content part must be an object, not {json_type(part)}"
        )
        return
    kind = part.get("type")
    if kind == "text":
        w.unknown_keys(part, frozenset(("type", "text")), path)
        if not isinstance(part.get("text"), str):
            w.add(f"{path}/text", "invalid_content_part", "a text part needs 'text': a string")
    elif kind == "image_url":
        w.unknown_keys(part, frozenset(("type", "image_url")), path)
        w.expect(part.get("image_url"), dict, f"{path}/image_url", "'image_url'")
    elif kind in ("input_audio", "file", "image", "audio"):
        w.add(f"{path}/type", "non_text_content", f"content of type {kind!r} is not supported")
    else:
        w.add(f"{path}/type", "invalid_content_part", f"unknown content part type {kind!r}")


def tool_call(w: Walk, call: object, path: str) -> None:
    if not isinstance(call, dict):
        w.add(path, "invalid_tool_call", f"a tool call must be an object, not {json_type(call)}")
        return
    w.unknown_keys(call, frozenset(("id", "type", "function")), path)
    if not isinstance(call.get("id"), str):
        w.add(f"{path}/id", "invalid_tool_call", "a tool call needs 'id': a string")
    if call.get("type") != "function":
        w.add(f"{path}/type", "invalid_tool_call", "a tool call needs 'type': 'function'")
    _function_call(w, call.get("function"), f"{path}/function")


def _function_call(w: Walk, fn: object, path: str) -> None:
    if not isinstance(fn, dict):
        w.add(path, "invalid_tool_call", "'function' must be an object {name, arguments}")
        return
    w.unknown_keys(fn, frozenset(("name", "arguments")), path)
    for key in ("name", "arguments"):
        if not isinstance(fn.get(key), str):
            w.add(f"{path}/{key}", "invalid_tool_call", f"{key!r} must be a string")


def tool_definition(w: Walk, tool: object, path: str) -> None:
    if not isinstance(tool, dict):
        w.add(path, "invalid_tool", f"a tool must be an object, not {json_type(tool)}")
        return
    w.unknown_keys(tool, frozenset(("type", "function")), path)
    if tool.get("type") != "function":
        w.add(f"{path}/type", "invalid_tool", "a tool needs 'type': 'function'")
    fn = tool.get("function")
    if not isinstance(fn, dict):
        w.add(f"{path}/function", "invalid_tool", "a tool needs 'function': {name, parameters}")
        return
    fpath = f"{path}/function"
    w.unknown_keys(fn, frozenset(("name", "description", "parameters", "strict")), fpath)
    if not isinstance(fn.get("name"), str):
        w.add(f"{fpath}/name", "invalid_tool", "a function needs 'name': a string")
    if "description" in fn:
        w.expect(fn["description"], str, f"{fpath}/description", "'description'")
    if "parameters" in fn and not isinstance(fn["parameters"], dict):
        w.add(
            f"{fpath}/parameters",
            "invalid_tool_schema",
            "'parameters' must be a JSON Schema object",
        )
    if fn.get("strict") is not None:
        w.expect(fn["strict"], bool, f"{fpath}/strict", "'strict'")
