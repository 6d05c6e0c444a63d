"""Typed msgspec structs for the OpenAI fine-tuning wire formats (DPO preference rows, SFT chat).

They are the validator's fast path: msgspec checks structure, types, allowed roles and list
lengths in C. A line that decodes into them is structurally valid for profile `openai`; a line
that does not is walked by `walk`, which reports every problem with its path.
The two must agree, and the conformance tests check that they do.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from service.datasets.validator.report import DatasetKind

__all__ = [
    "UNSET",
    "ChatMessage",
    "Content",
    "DatasetKind",
    "DpoInput",
    "DpoRow",
    "FunctionCall",
    "ImagePart",
    "OutputMessage",
    "SftRow",
    "TextPart",
    "Tool",
    "ToolCall",
    "ToolFunction",
]

InputRole = Literal["system", "user", "assistant", "tool", "function"]
INPUT_ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool", "function")


class _Strict(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """Unknown keys fall off the fast path, so the slow path can name them."""


class TextPart(_Strict, tag_field="type", tag="text"):
    text: str


class ImagePart(_Strict, tag_field="type", tag="image_url"):
    # Allowed by the SFT vision format; the DPO rules reject it (text only).
    image_url: dict[str, Any]


class FunctionCall(_Strict):
    name: str
    arguments: str


class ToolCall(_Strict):
    id: str
    type: Literal["function"]
    function: FunctionCall


class ToolFunction(_Strict):
    name: str
    description: str | UnsetType = UNSET
    parameters: dict[str, Any] | UnsetType = UNSET
    strict: bool | UnsetType | None = UNSET


class Tool(_Strict):
    type: Literal["function"]
    function: ToolFunction


Content = str | list[TextPart | ImagePart] | None


class ChatMessage(_Strict):
    role: InputRole
    content: Content | UnsetType = UNSET
    name: str | UnsetType = UNSET
    tool_calls: list[ToolCall] | UnsetType = UNSET
    tool_call_id: str | UnsetType = UNSET
    function_call: FunctionCall | UnsetType = UNSET
    weight: Literal[0, 1] | UnsetType = UNSET


class OutputMessage(_Strict):
    role: Literal["assistant"]
    content: Content | UnsetType = UNSET
    tool_calls: list[ToolCall] | UnsetType = UNSET


NonEmptyMessages = Annotated[list[ChatMessage], Meta(min_length=1)]
OneOutput = Annotated[list[OutputMessage], Meta(min_length=1, max_length=1)]


class DpoInput(_Strict):
    messages: NonEmptyMessages
    tools: list[Tool] | UnsetType = UNSET
    parallel_tool_calls: bool | UnsetType = UNSET


class DpoRow(_Strict):
    input: DpoInput
    preferred_output: OneOutput
    non_preferred_output: OneOutput


class SftRow(_Strict):
    messages: NonEmptyMessages
    tools: list[Tool] | UnsetType = UNSET
    parallel_tool_calls: bool | UnsetType = UNSET
    functions: list[dict[str, Any]] | UnsetType = UNSET


DPO_DECODER = msgspec.json.Decoder(DpoRow)
SFT_DECODER = msgspec.json.Decoder(SftRow)
ANY_DECODER = msgspec.json.Decoder()


def text_of(content: Content | UnsetType) -> str:
    """The text a message carries: the string itself, or its text parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.text for part in content if isinstance(part, TextPart))
    return ""
