"""Every rule code the validator and the converters emit, with its severity and a summary.

Codes are stable API: clients match on them. Add new ones; never rename or reuse one.
"""

from __future__ import annotations

from service.datasets.validator.report import Issue, Severity

CODES: dict[str, tuple[Severity, str]] = {
    # The file as a whole, and JSON Lines hygiene.
    "empty_file": ("error", "the file holds no examples"),
    "utf8_bom": ("error", "the file starts with a UTF-8 byte order mark"),
    "crlf_line_endings": ("warning", "lines end with CRLF instead of LF"),
    "missing_final_newline": ("warning", "the last line has no newline"),
    "blank_line": ("warning", "an empty or whitespace-only line"),
    "json_array_not_jsonl": ("error", "the file is one JSON array, not JSON Lines"),
    "pretty_printed_json": ("error", "the file is pretty-printed JSON, not JSON Lines"),
    "csv_not_jsonl": ("error", "the file looks like CSV, not JSON Lines"),
    "line_too_long": ("error", "a line longer than the reader's limit"),
    "invalid_utf8": ("error", "a line that is not valid UTF-8"),
    "invalid_json": ("error", "a line that is not valid JSON"),
    "nan_or_infinity": ("error", "NaN or Infinity, which JSON does not allow"),
    "duplicate_key": ("error", "the same key twice in one object"),
    "nesting_too_deep": ("error", "JSON nested deeper than the parser allows"),
    "not_an_object": ("error", "a line that is JSON but not an object"),
    # Row structure (both kinds).
    "missing_field": ("error", "a required field is absent"),
    "wrong_type": ("error", "a field has the wrong JSON type"),
    "unknown_field": ("warning", "a field OpenAI does not document; it may reject the file"),
    "foreign_format": ("error", "a TRL / UltraFeedback / ShareGPT row where OpenAI's is expected"),
    "sft_row_in_dpo": ("error", "an SFT chat row in a DPO dataset"),
    "dpo_row_in_sft": ("error", "a DPO preference row in an SFT dataset"),
    "empty_messages": ("error", "an empty message list"),
    "invalid_role": ("error", "a role OpenAI does not accept here"),
    "missing_content": ("error", "a message without content"),
    "invalid_content_part": ("error", "a content part that is not {type: text, text: str}"),
    "non_text_content": ("error", "image or audio content where only text is allowed"),
    "invalid_weight": ("error", "weight other than 0/1, or on a non-assistant message"),
    "special_token": ("error", "text containing a tokenizer special token like <|endoftext|>"),
    "input_ends_with_assistant": ("error", "the DPO input ends with an assistant turn"),
    "input_without_user": ("warning", "the input has no user message"),
    "sft_last_not_assistant": ("error", "the SFT conversation does not end with an assistant"),
    "output_count": ("error", "an output list that is not exactly one message"),
    "output_role": ("error", "an output message whose role is not assistant"),
    "output_without_text": ("error", "an output with neither text content nor tool calls"),
    "schema_violation": ("error", "a structural problem not covered by a more specific code"),
    # Conversion (format other than openai).
    "unknown_format": ("error", "format=auto could not recognise the rows"),
    "row_not_converted": ("error", "a source row the converter could not carry over"),
    "fields_dropped": ("warning", "source fields a converter has no place for, with row counts"),
    # Tools and tool calls.
    "invalid_tool": ("error", "a tool definition that is not {type: function, function: {...}}"),
    "invalid_tool_name": ("error", "a function name outside ^[a-zA-Z0-9_-]{1,64}$"),
    "duplicate_tool_name": ("error", "two tools with the same function name"),
    "invalid_tool_schema": ("error", "function parameters that are not a JSON Schema object"),
    "invalid_tool_call": ("error", "a tool call that is not {id, type: function, function}"),
    "undefined_tool": ("error", "a tool call to a function not defined in tools"),
    "tool_arguments_not_json": ("error", "tool call arguments that do not parse as JSON"),
    "tool_arguments_invalid": ("error", "tool call arguments that violate the parameters schema"),
    "tool_call_id_unknown": ("warning", "a tool message answering a call id never made"),
    # Semantics of preference pairs and of the dataset.
    "empty_output": ("error", "an output whose text is empty or whitespace only"),
    "identical_outputs": ("error", "preferred and non-preferred outputs are identical"),
    "identical_outputs_whitespace": (
        "warning",
        "preferred and non-preferred differ only in whitespace",
    ),
    "output_is_prefix": (
        "warning",
        "one output is the beginning of the other: the pair only teaches where to stop",
    ),
    "output_repeats_input": ("warning", "an output repeats the last input message"),
    "duplicate_row": ("warning", "the same example (input and both outputs) appears again"),
    "contradictory_pair": (
        "warning",
        "the same prompt prefers A over B here and B over A elsewhere",
    ),
    "preference_cycle": (
        "warning",
        "one prompt's preferences go round: A over B, B over C, C over A",
    ),
    "dedup_limit_reached": ("warning", "too many rows to track for duplicates; checked the first"),
    "cycle_limit_reached": ("warning", "too many rows to track for preference cycles"),
    "too_few_examples": ("error", "fewer examples than OpenAI's minimum of 10"),
    "example_too_long": ("error", "an example longer than the per-example token limit"),
}


def issue(line: int | None, path: str | None, code: str, message: str) -> Issue:
    """An Issue whose severity comes from the registry, so a code always has one severity."""
    return Issue(line=line, path=path, code=code, severity=CODES[code][0], message=message)


def pointer(base: str, key: str | int) -> str:
    """JSON Pointer (RFC 6901) child path; user-supplied keys are escaped."""
    if isinstance(key, int):
        return f"{base}/{key}"
    return f"{base}/{key.replace('~', '~0').replace('/', '~1')}"
