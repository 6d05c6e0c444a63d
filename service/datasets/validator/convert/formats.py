"""Pure row converters into OpenAI DPO rows, and the format detector behind `format=auto`.

Each converter takes one decoded source row and returns either an OpenAI DPO row (a plain dict,
ready to encode) or a `Drop` saying why the row cannot be carried over. Nothing is dropped
silently: the caller reports every Drop with the row it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal, NamedTuple, get_args

Json = dict[str, Any]
# What `format=` accepts: `openai` as is, `auto` detects, the rest name a converter below.
SourceFormat = Literal["openai", "auto", "trl", "ultrafeedback", "sharegpt", "hh-rlhf"]
SOURCE_FORMATS: tuple[SourceFormat, ...] = get_args(SourceFormat)
FOREIGN_FORMATS = frozenset(SOURCE_FORMATS) - {"openai", "auto"}
# The formats each dataset kind can come in: every converter produces DPO rows, so an SFT
# dataset comes only in OpenAI's chat format ({messages: [...]}), named or detected.
FORMATS_BY_KIND: dict[str, tuple[SourceFormat, ...]] = {
    "dpo": SOURCE_FORMATS,
    "sft": ("openai", "auto"),
}


class Drop(NamedTuple):
    code: str
    message: str


Converted = Json | Drop
Converter = Callable[[Json], Converted]

SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "system": "system",
    "observation": "tool",
    "tool": "tool",
}


def detect(row: object, kind: str = "dpo") -> str | None:
    """The source format a row of a `kind` dataset is in, judged by its keys; None when
    unknown."""
    if not isinstance(row, dict):
        return None
    if kind == "sft":
        return "openai" if "messages" in row else None
    return _detect_dpo(row)


def _detect_dpo(row: Json) -> str | None:
    keys = row.keys()
    if "input" in keys and ("preferred_output" in keys or "preferred_completion" in keys):
        return "openai"
    if {"conversations", "chosen", "rejected"} <= keys:
        return "sharegpt"
    if {"instruction", "chosen_response", "rejected_response"} <= keys:
        return "ultrafeedback"
    if {"prompt", "chosen", "rejected"} <= keys and ("prompt_id" in keys or "score_chosen" in keys):
        return "ultrafeedback"  # the HuggingFaceH4 layout: chosen/rejected are conversations
    if {"chosen", "rejected"} <= keys and _is_transcript(row["chosen"]):
        return "hh-rlhf"
    if {"chosen", "rejected"} <= keys or {"chosen_messages", "rejected_messages"} <= keys:
        return "trl"
    return None


def dpo_row(messages: list[Json], chosen: Json, rejected: Json, tools: object = None) -> Json:
    inp: Json = {"messages": messages}
    if isinstance(tools, list) and tools:
        inp["tools"] = tools
    return {"input": inp, "preferred_output": [chosen], "non_preferred_output": [rejected]}


def from_openai(row: Json) -> Converted:
    """OpenAI rows pass through; the older spec's *_completion names are renamed."""
    out = dict(row)
    for old, new in (
        ("preferred_completion", "preferred_output"),
        ("non_preferred_completion", "non_preferred_output"),
    ):
        if old in out and new not in out:
            out[new] = out.pop(old)
    return out


def from_sharegpt(row: Json) -> Converted:
    turns = row.get("conversations")
    if not isinstance(turns, list) or not turns:
        return Drop("not_converted", "'conversations' must be a non-empty list of {from, value}")
    messages: list[Json] = []
    if isinstance(row.get("system"), str) and row["system"]:
        messages.append({"role": "system", "content": row["system"]})
    for i, turn in enumerate(turns):
        msg = _sharegpt_message(turn)
        if isinstance(msg, Drop):
            return Drop(msg.code, f"conversations[{i}]: {msg.message}")
        messages.append(msg)
    sides = []
    for name in ("chosen", "rejected"):
        msg = _sharegpt_message(row.get(name))
        if isinstance(msg, Drop):
            return Drop(msg.code, f"{name}: {msg.message}")
        if msg["role"] != "assistant":
            return Drop("not_converted", f"{name} is from {msg['role']!r}; it must be from gpt")
        sides.append(msg)
    return dpo_row(messages, sides[0], sides[1], _tools(row.get("tools")))


def _sharegpt_message(turn: object) -> Json | Drop:
    if not isinstance(turn, dict) or not isinstance(turn.get("value"), str):
        return Drop("not_converted", "a turn must be {from, value} with a string value")
    role = SHAREGPT_ROLES.get(str(turn.get("from")))
    if role is None:
        return Drop("not_converted", f"speaker {turn.get('from')!r} has no OpenAI role")
    return {"role": role, "content": turn["value"]}


def _tools(value: object) -> object:
    if isinstance(value, str):  # LLaMA-Factory keeps tools as a JSON string
        import json

        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def from_ultrafeedback(row: Json) -> Converted:
    if "instruction" in row:  # argilla/ultrafeedback-binarized-preferences
        parts = (row.get("instruction"), row.get("chosen_response"), row.get("rejected_response"))
        if not all(isinstance(p, str) for p in parts):
            return Drop(
                "not_converted", "instruction, chosen_response, rejected_response must be strings"
            )
        user, chosen, rejected = parts
        return dpo_row(
            [{"role": "user", "content": user}],
            {"role": "assistant", "content": chosen},
            {"role": "assistant", "content": rejected},
        )
    return from_trl(row)  # the H4 layout is TRL's conversational form with a redundant prompt


def from_trl(row: Json) -> Converted:
    chosen = row.get("chosen", row.get("chosen_messages"))
    rejected = row.get("rejected", row.get("rejected_messages"))
    # Intel/orca_dpo_pairs names its prompt `question` and adds a `system` string; taking it
    # for an implicit prompt would cut a "prompt" out of the answers' shared first words.
    prompt = row.get("prompt", row.get("question"))
    if isinstance(chosen, str) and isinstance(rejected, str):
        converted = _trl_strings(prompt, chosen, rejected)
        system = row.get("system")
        if isinstance(system, str) and system and not isinstance(converted, Drop):
            converted["input"]["messages"].insert(0, {"role": "system", "content": system})
        return converted
    if isinstance(chosen, list) and isinstance(rejected, list):
        return _trl_conversations(prompt, chosen, rejected, row.get("tools"))
    return Drop(
        "not_converted", "chosen and rejected must both be strings or both be lists of messages"
    )


def _trl_strings(prompt: object, chosen: str, rejected: str) -> Converted:
    if prompt is None:  # implicit prompt: the shared beginning of both texts
        cut = common_prefix_len(chosen, rejected)
        if cut == 0:
            return Drop("no_prompt", "implicit prompt: chosen and rejected share no beginning")
        prompt, chosen, rejected = chosen[:cut], chosen[cut:], rejected[cut:]
    if not isinstance(prompt, str):
        return Drop("not_converted", "with string chosen/rejected, prompt must be a string")
    return dpo_row(
        [{"role": "user", "content": prompt}],
        {"role": "assistant", "content": chosen},
        {"role": "assistant", "content": rejected},
    )


def common_prefix_len(a: str, b: str) -> int:
    """TRL's rule: the longest common prefix, not ending inside a space-separated word."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    if i < n and i > 0 and a[i - 1] == " ":
        i -= 1
    return i


def _trl_conversations(
    prompt: object, chosen: list[Any], rejected: list[Any], tools: object
) -> Converted:
    c = [_message(m) for m in chosen]
    r = [_message(m) for m in rejected]
    bad = next((m for m in (*c, *r) if isinstance(m, Drop)), None)
    if bad is not None:
        return bad
    cm: list[Json] = c  # type: ignore[assignment]
    rm: list[Json] = r  # type: ignore[assignment]
    if isinstance(prompt, list):
        messages = [_message(m) for m in prompt]
        bad = next((m for m in messages if isinstance(m, Drop)), None)
        if bad is not None:
            return bad
        inp: list[Json] = messages  # type: ignore[assignment]
    else:  # implicit (or H4's string prompt, which the conversations repeat)
        k = 0
        while k < min(len(cm), len(rm)) - 1 and cm[k] == rm[k]:
            k += 1
        inp, cm, rm = cm[:k], cm[k:], rm[k:]
        if not inp:
            if not isinstance(prompt, str):
                return Drop("no_prompt", "implicit prompt: the conversations share no turns")
            inp = [{"role": "user", "content": prompt}]
    if len(cm) != 1 or len(rm) != 1:
        return Drop(
            "multi_turn_output",
            f"the outputs have {len(cm)} and {len(rm)} turns "
            "after the shared prompt; OpenAI DPO trains on exactly one",
        )
    return dpo_row(inp, cm[0], rm[0], tools)


# Anthropic HH-RLHF: each side is a whole transcript, "\n\nHuman: ...\n\nAssistant: ...".
# Only a marker after a blank line starts a turn ("Human:" inside a reply is text), as in TRL's
# own hh-rlhf script; the space after the colon is optional (empty replies end with "Assistant:").
_HH_TURN = re.compile(r"\n\n(Human|Assistant):[ ]?")
_HH_ROLES = {"Human": "user", "Assistant": "assistant"}


def _is_transcript(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("\n\nHuman:", "Human:"))


def from_hh_rlhf(row: Json) -> Converted:
    """Both transcripts split into turns; the turns they share are the prompt and each must
    then end in one assistant reply (the TRL conversational rule)."""
    sides = []
    for name in ("chosen", "rejected"):
        turns = hh_turns(row.get(name))
        if isinstance(turns, Drop):
            return Drop(turns.code, f"{name}: {turns.message}")
        sides.append(turns)
    return _trl_conversations(None, sides[0], sides[1], None)


def hh_turns(text: object) -> list[Json] | Drop:
    """'\n\nHuman: a\n\nAssistant: b' -> [{user: a}, {assistant: b}]."""
    if not isinstance(text, str):
        return Drop("not_converted", "must be a transcript string")
    if text.startswith("Human:"):
        text = "\n\n" + text  # some copies lost the leading blank line
    pieces = _HH_TURN.split(text)
    if pieces[0].strip():
        return Drop("not_converted", "the transcript must start with '\\n\\nHuman: '")
    return [
        {"role": _HH_ROLES[speaker], "content": content}
        for speaker, content in zip(pieces[1::2], pieces[2::2], strict=True)
    ]


def _message(m: object) -> Json | Drop:
    """A chat message with OpenAI keys only, its content a string when it is text: every
    provider takes a string, while content parts are refused in outputs by OpenAI and Together.
    Text parts (`text`, or LLaMA-Factory's `value`) are joined; a list holding anything else
    (an image) is kept as parts, for the validator to name."""
    if not isinstance(m, dict) or "role" not in m:
        return Drop("not_converted", "a message must be an object with a role")
    out: Json = {
        k: m[k] for k in ("role", "content", "name", "tool_calls", "tool_call_id") if k in m
    }
    content = m.get("content")
    if isinstance(content, list):
        parts = [_part(p) for p in content]
        texts = [_text_of(p) for p in parts]
        out["content"] = "".join(t for t in texts if t is not None) if None not in texts else parts
    return out


def _part(p: object) -> object:
    if isinstance(p, dict) and p.get("type") == "text" and "text" not in p and "value" in p:
        return {"type": "text", "text": p["value"]}
    return p


def _text_of(part: object) -> str | None:
    """The text of a text part; None for anything else."""
    if isinstance(part, dict) and part.get("type") == "text":
        text = part.get("text")
        return text if isinstance(text, str) else None
    return None


# The source fields each converter reads; any other field of a converted row has no place in an
# OpenAI DPO row and is reported as dropped (openai passes every field on to the validator).
_TRL_FIELDS = frozenset(
    ("prompt", "question", "system", "chosen", "rejected", "chosen_messages", "rejected_messages")
) | {"tools"}
READ_FIELDS: dict[str, frozenset[str]] = {
    "trl": _TRL_FIELDS,
    "ultrafeedback": _TRL_FIELDS | {"instruction", "chosen_response", "rejected_response"},
    "sharegpt": frozenset(("conversations", "chosen", "rejected", "system", "tools")),
    "hh-rlhf": frozenset(("chosen", "rejected")),
}


CONVERTERS: dict[str, Converter] = {
    "openai": from_openai,
    "sharegpt": from_sharegpt,
    "ultrafeedback": from_ultrafeedback,
    "trl": from_trl,
    "hh-rlhf": from_hh_rlhf,
}
