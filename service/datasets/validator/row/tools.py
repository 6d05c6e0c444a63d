"""Tool definitions and tool calls: names, JSON Schema parameters, calls checked against them.

Datasets repeat the same few tool definitions on every row, so compiled schemas are cached by
their canonical JSON; checking a schema costs milliseconds, looking it up microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec

from service.datasets.validator.codes import issue
from service.datasets.validator.report import Issue
from service.datasets.validator.row.simple_schema import SimpleSchema, simple_schema
from service.datasets.validator.row.typed import UNSET, ChatMessage, OutputMessage, Tool, ToolCall

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_ENCODER = msgspec.json.Encoder(order="sorted")


@lru_cache(maxsize=256)
def _compile(schema_json: bytes) -> Validator | str:
    """A validator for the schema, or the reason the schema is not a valid JSON Schema."""
    # Imported here: jsonschema costs ~10 MB in every worker, and most datasets have no tools.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    schema = msgspec.json.decode(schema_json)
    if schema.get("type", "object") != "object":
        return f"the top-level 'type' must be 'object', not {schema.get('type')!r}"
    cls = validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        return f"not a valid JSON Schema: {exc.message}"
    return cls(schema)


@lru_cache(maxsize=256)
def _simple(schema_json: bytes) -> SimpleSchema | None:
    return simple_schema(msgspec.json.decode(schema_json))


class Params(NamedTuple):
    """A tool's (valid) parameters schema: its canonical JSON, which keys its compiled
    validator, and the quick test when it is flat. A flat schema is valid by construction, so
    jsonschema (~10 MB and 0.1 s to import in every worker) only loads for the others, or to
    word an error."""

    schema_json: bytes
    simple: SimpleSchema | None


class ToolBox:
    """The tools of one row: name -> parameters schema (None when absent or invalid)."""

    def __init__(self) -> None:
        self.schemas: dict[str, Params | None] = {}
        self.defined = False


def check_tools(tools: Sequence[Tool], path: str, line: int, out: list[Issue]) -> ToolBox:
    box = ToolBox()
    box.defined = True
    for i, tool in enumerate(tools):
        fpath = f"{path}/{i}/function"
        name = tool.function.name
        if not TOOL_NAME.fullmatch(name):
            msg = f"function name {name!r} must match ^[a-zA-Z0-9_-]{{1,64}}$"
            out.append(issue(line, f"{fpath}/name", "invalid_tool_name", msg))
        if name in box.schemas:
            msg = f"function {name!r} is defined twice"
            out.append(issue(line, f"{fpath}/name", "duplicate_tool_name", msg))
        params = tool.function.parameters
        entry: Params | None = None
        if params is not UNSET:
            schema_json = _ENCODER.encode(params)
            simple = _simple(schema_json)
            compiled = _compile(schema_json) if simple is None else None
            if isinstance(compiled, str):
                out.append(issue(line, f"{fpath}/parameters", "invalid_tool_schema", compiled))
            else:
                entry = Params(schema_json, simple)
        box.schemas[name] = entry
    return box


def check_calls(
    msg: ChatMessage | OutputMessage, box: ToolBox, path: str, line: int, out: list[Issue]
) -> None:
    if msg.tool_calls is UNSET:
        return
    for i, call in enumerate(msg.tool_calls):
        _check_call(call, box, f"{path}/tool_calls/{i}/function", line, out)


def _check_call(call: ToolCall, box: ToolBox, path: str, line: int, out: list[Issue]) -> None:
    name = call.function.name
    if name not in box.schemas:
        where = "in this example's tools" if box.defined else "(the example defines no tools)"
        msg = f"call to function {name!r}, which is not defined {where}"
        out.append(issue(line, f"{path}/name", "undefined_tool", msg))
        return
    try:
        args: Any = msgspec.json.decode(call.function.arguments)
    except (msgspec.DecodeError, RecursionError) as exc:
        msg = f"arguments of {name!r} are not valid JSON ({exc})"
        out.append(issue(line, f"{path}/arguments", "tool_arguments_not_json", msg))
        return
    params = box.schemas[name]
    if params is None or (params.simple is not None and params.simple.accepts(args)):
        return
    validator = _compile(params.schema_json)
    if isinstance(validator, str):  # not reached: Params only holds valid schemas
        return
    from jsonschema.exceptions import best_match

    error = best_match(validator.iter_errors(args))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        msg = (
            f"arguments of {name!r} do not match the parameters schema at {where}: {error.message}"
        )
        out.append(issue(line, f"{path}/arguments", "tool_arguments_invalid", msg))


def check_tool_ids(messages: Sequence[ChatMessage], path: str, line: int, out: list[Issue]) -> None:
    """Each tool message must answer a call id made by an earlier assistant message."""
    made: set[str] = set()
    for i, msg in enumerate(messages):
        if msg.tool_calls is not UNSET:
            made.update(call.id for call in msg.tool_calls)
        if msg.role != "tool":
            continue
        if msg.tool_call_id is UNSET:
            msg_text = "a tool message needs 'tool_call_id': the id of the call it answers"
            out.append(issue(line, f"{path}/{i}/tool_call_id", "missing_field", msg_text))
        elif msg.tool_call_id not in made:
            msg_text = f"tool_call_id {msg.tool_call_id!r} answers no earlier assistant tool call"
            out.append(issue(line, f"{path}/{i}/tool_call_id", "tool_call_id_unknown", msg_text))
