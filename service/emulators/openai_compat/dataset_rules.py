"""What OpenAI checks in a training or validation file while the job is `validating_files`.

A bad file does not fail the create call: it fails the job, with OpenAI's codes and wording
(reference §6.4). Rules: at least 10 examples; DPO lines are `{input: {messages}, preferred_output,
non_preferred_output}` whose input roles are system, user, assistant, tool or function, with one
assistant message per output whose content is a string (text parts are refused: OpenAI's DPO
takes text, written as a string) and whose keys are role, content, name and tool_calls; Azure's
outputs may hold several messages, assistant or tool, at least one from the assistant
(`OutputRule`). SFT lines are `{messages}` ending in an assistant message. The service's
validator states the same rules (its per-provider verdict); a test keeps the two in agreement.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, Literal

import msgspec

from service.emulators.openai_compat.records import DatasetReport

MIN_EXAMPLES = 10
ROLES = frozenset({"system", "user", "assistant", "tool", "function"})
OUTPUT_KEYS = frozenset({"role", "content", "name", "tool_calls"})
AZURE_OUTPUT_KEYS = OUTPUT_KEYS | {"tool_call_id"}
# OpenAI: each output is exactly one assistant message; Azure: one or more assistant or tool
# messages, at least one from the assistant.
OutputRule = Literal["one_assistant", "assistant_and_tool"]
SPECIAL_TOKENS = ("<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>")


class DatasetError(Exception):
    """The job fails with `code`, `message` and `param` (training_file or validation_file)."""

    def __init__(self, code: str, message: str, param: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param


class _LineError(Exception):
    """A rule broken by one example; `check_dataset` turns it into a DatasetError."""

    def __init__(self, detail: str, *, file_format: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.file_format = file_format  # newer wording, code invalid_file_format


def check_dataset(
    content: bytes,
    *,
    method: str,
    file_id: str,
    param: str,
    outputs: OutputRule = "one_assistant",
) -> DatasetReport:
    """Validate a whole file for `method`; raise DatasetError on the first problem."""
    kind = "training" if param == "training_file" else "validation"
    count = sum(1 for _ in _lines(content))
    if count < MIN_EXAMPLES:
        raise DatasetError(
            "invalid_n_examples",
            f"{kind.capitalize()} file has {count} example(s), but must have at least "
            f"{MIN_EXAMPLES} examples",
            param,
        )
    words = 0
    for number, line in enumerate(_lines(content), start=1):
        try:
            example = _parse(line)
            _check_example(example, method=method, file_id=file_id, outputs=outputs)
        except _LineError as exc:
            raise _as_dataset_error(exc, number, kind, param) from None
        words += count_words(example)
    return DatasetReport(examples=count, words=words)


def example_problem(
    line: bytes, *, method: str, outputs: OutputRule = "one_assistant"
) -> str | None:
    """What the check says about one non-blank line (numbered 1), or None when it passes."""
    try:
        _check_example(_parse(line), method=method, file_id="file-x", outputs=outputs)
    except _LineError as exc:
        return exc.detail.replace("{n}", "1")
    return None


def _as_dataset_error(exc: _LineError, number: int, kind: str, param: str) -> DatasetError:
    detail = exc.detail.replace("{n}", str(number))
    if exc.file_format:
        prefix = f"The job failed due to a file format error in the {kind} file."
        return DatasetError("invalid_file_format", f"{prefix} Invalid file format. {detail}", param)
    prefix = f"The job failed due to an invalid {kind} file."
    return DatasetError(f"invalid_{kind}_file", f"{prefix} Invalid file format. {detail}", param)


def _lines(content: bytes) -> Iterator[bytes]:
    # BytesIO over the stored bytes iterates without materialising a list of every line
    for line in io.BytesIO(content):
        if line.strip():
            yield line


def _parse(line: bytes) -> dict[str, Any]:
    try:
        value = msgspec.json.decode(line)
    except msgspec.DecodeError as exc:
        raise _LineError(
            f"Example {{n}} cannot be parsed. Error: line contains invalid json: {exc}"
        ) from None
    if not isinstance(value, dict):
        raise _LineError("Example {n} is not a JSON object.")
    return value


def _check_example(
    example: dict[str, Any], *, method: str, file_id: str, outputs: OutputRule
) -> None:
    if method == "dpo":
        _check_dpo(example, file_id, outputs)
    else:
        _check_chat(example)
    for text in _strings(example):
        for token in SPECIAL_TOKENS:
            if token in text:
                raise _LineError(
                    f"Example {{n}} message contains an invalid token: {token}.", file_format=True
                )


def _check_dpo(example: dict[str, Any], file_id: str, outputs: OutputRule) -> None:
    if "messages" in example and "input" not in example:
        raise _LineError(
            f"Input file {file_id} is in the fine-tune-chat format, but the specified fine-tuning "
            "job is not using 'supervised' as the training method (provided method=dpo). "
        )
    for key in ("input", "preferred_output", "non_preferred_output"):
        if key not in example:
            raise _LineError(f"Example {{n}} is missing key '{key}'.")
    source = example["input"]
    if not isinstance(source, dict):
        raise _LineError("Example {n}, 'input' must be an object.")
    _check_messages(source.get("messages"), "input.messages")
    for key in ("preferred_output", "non_preferred_output"):
        if outputs == "one_assistant":
            _check_output(example[key], key)
        else:
            _check_azure_output(example[key], key)


def _check_output(value: Any, key: str) -> None:
    if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], dict):
        raise _LineError(f"Example {{n}}, '{key}' must be a list with exactly one message.")
    message = value[0]
    if message.get("role") != "assistant":
        raise _LineError(f"Example {{n}}, '{key}' must be a message with role 'assistant'.")
    _check_output_message(message, key, OUTPUT_KEYS)


def _check_azure_output(value: Any, key: str) -> None:
    if not isinstance(value, list) or not value:
        raise _LineError(f"Example {{n}}, '{key}' must be a list of at least one message.")
    for message in value:
        if not isinstance(message, dict):
            raise _LineError(f"Example {{n}}, '{key}' must hold messages (objects).")
        if message.get("role") not in ("assistant", "tool"):
            raise _LineError(f"Example {{n}}, '{key}' messages must have role assistant or tool.")
        _check_output_message(message, key, AZURE_OUTPUT_KEYS)
    if not any(message["role"] == "assistant" for message in value):
        raise _LineError(f"Example {{n}}, '{key}' must hold an assistant message.")


def _check_output_message(message: dict[str, Any], key: str, allowed: frozenset[str]) -> None:
    if not isinstance(message.get("content"), str):
        raise _LineError(f"Example {{n}}, '{key}' message content must be a string.")
    extras = sorted(set(message) - allowed)
    if extras:
        raise _LineError(f'Example {{n}} contains an extra "{extras[0]}".', file_format=True)


def _check_chat(example: dict[str, Any]) -> None:
    if "messages" not in example:
        raise _LineError("Example {n} is missing key 'messages'.")
    messages = example["messages"]
    _check_messages(messages, "messages")
    if messages[-1].get("role") != "assistant":
        raise _LineError("Example {n}, the last message must be from the assistant.")
    for message in messages:
        if "weight" in message and (
            message["role"] != "assistant" or message["weight"] not in (0, 1)
        ):
            raise _LineError('Example {n} contains an extra "weight".', file_format=True)


def _check_messages(messages: Any, where: str) -> None:
    if not isinstance(messages, list) or not messages:
        raise _LineError(f"Example {{n}}, '{where}' must be a non-empty list of messages.")
    for index, message in enumerate(messages, start=1):
        if not isinstance(message, dict):
            raise _LineError(f"Example {{n}}, message {index} is not an object.")
        if "role" not in message:
            raise _LineError(
                f"Example {{n}}, message {index} Discriminator 'role' is missing in value"
            )
        if message["role"] not in ROLES:
            raise _LineError(
                f"Example {{n}}, message {index} has an invalid role: {message['role']!r}"
            )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def count_words(example: Any) -> int:
    """Whitespace-split tokens over every string value: the emulator's stand-in for BPE tokens."""
    return sum(len(text.split()) for text in _strings(example))
