"""The fast path for common rows agrees with the general rules, and the pieces that make the
validator fast (row keys, split-up blocks, tail ranges) keep their meaning."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import msgspec
import pytest

from service.datasets.validator.blocks import BlockResult, Options
from service.datasets.validator.dataset.aggregate import Aggregator
from service.datasets.validator.pool import RANGE_BYTES, TAIL_RANGE_BYTES, split_ranges
from service.datasets.validator.reading.lines import LineReader, Lines, LongLine
from service.datasets.validator.report import IssueSink
from service.datasets.validator.row.keys import input_key, output_key, plain_parts
from service.datasets.validator.row.line import validate_line
from service.datasets.validator.row.plain import plain_facts
from service.datasets.validator.row.rules import normalize_ws, same_after_whitespace
from service.datasets.validator.row.simple_schema import simple_schema
from service.datasets.validator.row.typed import DPO_DECODER
from tests.datasets.helpers import STOCK_TOOL, call, dpo, edit, msg
from tests.datasets.test_conformance import CASES, SFT_CASES


def _agree(raw: bytes, kind: Any = "dpo") -> bool:
    """Both ways give the same issues, row and facts; True when the fast path took it."""
    fast = validate_line(raw, 7, kind)
    general = validate_line(raw, 7, kind, plain=False)
    assert fast.issues == general.issues
    assert fast.facts == general.facts
    assert fast.row == general.row
    if general.row is None or kind != "dpo":
        return False
    return plain_facts(general.row, raw) is not None  # type: ignore[arg-type]


@pytest.mark.parametrize("case", [*CASES, *SFT_CASES], ids=lambda c: c.id)
def test_conformance_lines_agree(case: Any) -> None:
    kind = "sft" if case in SFT_CASES else "dpo"
    for raw in case.data.split(b"\n"):
        _agree(raw.rstrip(b"\r"), kind)


def _line(row: dict[str, Any], **dumps: Any) -> bytes:
    return json.dumps(row, **dumps).encode()


PLAIN = dpo(1)
TRICKY = {
    # Special tokens in any text: the fast path hands them on (escaped spellings: below).
    "special_in_input": (edit(PLAIN, "input/messages/1/content", "a <|endoftext|> b"), False),
    "special_in_output": (edit(PLAIN, "preferred_output/0/content", "x <|fim_middle|>"), False),
    "pipe_only": (edit(PLAIN, "input/messages/1/content", "a | b || c"), True),
    "not_special": (edit(PLAIN, "input/messages/1/content", "<|nothing|>"), False),
    # Text that looks like keys: `\":` in the raw line, which is not a key.
    "keys_in_text": (edit(PLAIN, "preferred_output/0/content", '{"role": "user"}'), True),
    "colon_quote_text": (edit(PLAIN, "input/messages/0/content", 'say ":" and \\": "'), True),
    # Pairs the general rules warn about: one output the other cut short, an echo of the input.
    "prefix_pair": (edit(PLAIN, "non_preferred_output/0/content", "The answer"), False),
    "echo": (edit(PLAIN, "preferred_output/0/content", " What is 2 + 2?  (question 1)"), False),
    "almost_prefix": (edit(PLAIN, "non_preferred_output/0/content", "The answer is 5."), True),
    # Everything the general rules report, or that leaves the plain shape.
    "last_assistant": (edit(PLAIN, "input/messages/1/role", "assistant"), False),
    "no_user": (edit(PLAIN, "input/messages/1/role", "system"), False),
    "tool_turn": (edit(PLAIN, "input/messages/1/role", "tool"), False),
    "name": (edit(PLAIN, "input/messages/1/name", "bob"), False),
    "weight": (edit(PLAIN, "input/messages/0/weight", 1), False),
    "parallel": (edit(PLAIN, "input/parallel_tool_calls", True), False),
    "parts": (edit(PLAIN, "input/messages/1/content", [{"type": "text", "text": "hi"}]), False),
    "identical": (dpo(1, pref="same", nonpref="same"), False),
    "whitespace_only": (dpo(1, pref=" \n\t"), False),
    "empty": (dpo(1, nonpref=""), False),
    "same_after_ws": (dpo(1, pref=" a  b", nonpref="a b "), False),
    "first_char_space": (dpo(1, pref=" a", nonpref="b"), True),
    "unicode": (dpo(1, pref="naïve 🙂 数据", nonpref="数据 🙂"), True),
    "no_system": (dpo(1, system=None), True),
}


@pytest.mark.parametrize("name", sorted(TRICKY))
@pytest.mark.parametrize("ascii_only", [False, True])
def test_tricky_rows_agree(name: str, ascii_only: bool) -> None:
    row, fast = TRICKY[name]
    assert _agree(_line(row, ensure_ascii=ascii_only)) is fast


def test_escaped_special_tokens_are_found() -> None:
    raw = _line(PLAIN).replace(b"What is", b"\\u003c|endoftext\\u007c> What is")
    found = validate_line(raw, 1, "dpo")
    assert [i.code for i in found.issues] == ["special_token"]
    raw = _line(PLAIN).replace(b"What is", b"<\\u007Cendoftext|> What is")
    assert [i.code for i in validate_line(raw, 1, "dpo").issues] == ["special_token"]


@pytest.mark.parametrize(
    "raw",
    [
        # A real duplicate, with text that contains `\":` as well.
        _line(edit(PLAIN, "preferred_output/0/content", '{"a": 1}')).replace(
            b'"role": "user"', b'"role": "user", "role": "user"'
        ),
        # Duplicates spaced from their colons, spelled with an escape, in a nested object.
        _line(PLAIN).replace(b'"role": "user"', b'"role" : "user", "role" :"system"'),
        _line(PLAIN).replace(b'"role": "user"', b'"role": "user", "rol\\u0065": "user"'),
        _line(PLAIN).replace(b'"input": {', b'"input": {"messages": [], '),
        # A duplicate offset, in the fast path's quote count, by quotes written `\u0022`
        # (they are in the text but put no `"` in the line).
        _line(edit(PLAIN, "preferred_output/0/content", 'say "a" "b"'))
        .replace(b'\\"', b"\\u0022")
        .replace(b'"role": "user"', b'"role": "user", "role": "user"'),
        # A duplicate offset, in the general path's `":` count, by a key spaced from its colon.
        _line(PLAIN)
        .replace(b'"role": "user"', b'"role": "user", "role": "user"')
        .replace(b'"content": "', b'"content" : "', 1),
        _line(edit(PLAIN, "input/tools", [STOCK_TOOL]))
        .replace(b'"role": "user"', b'"role": "user", "role": "user"')
        .replace(b'"content": "', b'"content"\t: "', 1),
    ],
)
def test_duplicate_keys_leave_the_fast_path(raw: bytes) -> None:
    assert _agree(raw) is False
    assert [i.code for i in validate_line(raw, 1, "dpo").issues] == ["duplicate_key"]


def _random_text(rng: random.Random) -> str:
    pieces = ["a", " ", "\n", '"', ":", '":', "\\", "|", "<", "<|", "é", "数", "🙂", "{", "}"]
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))


def test_random_rows_agree() -> None:
    rng = random.Random(7)
    taken = 0
    for _ in range(600):
        row = dpo(rng.randint(0, 3), pref=_random_text(rng), nonpref=_random_text(rng))
        row["input"]["messages"][-1]["content"] = _random_text(rng)
        if rng.random() < 0.2:
            row["input"]["messages"].append(msg(rng.choice(["user", "assistant"]), "x"))
        compact = rng.random() < 0.5
        dumps: dict[str, Any] = {"ensure_ascii": rng.random() < 0.5}
        if compact:
            dumps["separators"] = (",", ":")
        taken += _agree(_line(row, **dumps))
    assert taken > 100  # the fast path did take the plain rows among them


def test_plain_keys_equal_the_general_keys() -> None:
    row = DPO_DECODER.decode(_line(PLAIN))
    parts = plain_parts(row.input)
    assert parts == ["system", "Be brief.", "user", "What is 2 + 2? (question 1)"]
    assert input_key(row.input) == hash(tuple(parts))
    swapped = DPO_DECODER.decode(_line(edit(PLAIN, "input/messages/0/role", "user")))
    assert input_key(swapped.input) != input_key(row.input)
    out = row.preferred_output[0]
    assert output_key(out, "The answer is 4.") == hash("The answer is 4.")
    tools = DPO_DECODER.decode(_line(edit(PLAIN, "input/tools", [])))
    assert plain_parts(tools.input) is None
    assert input_key(tools.input) != input_key(row.input)


def test_blocks_from_another_hash_secret_are_refused() -> None:
    agg = Aggregator(Options())
    agg.add_block(BlockResult(IssueSink()))
    with pytest.raises(RuntimeError, match="hash secrets"):
        agg.add_block(BlockResult(IssueSink(), probe=12345))


def test_same_after_whitespace_equals_normalising() -> None:
    rng = random.Random(11)
    alphabet = [" ", "\t", "\n", "a", "b", "é"]
    for _ in range(3000):
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        if rng.random() < 0.3:
            b = a.replace(" ", "  ")
        assert same_after_whitespace(a, b) == (normalize_ws(a) == normalize_ws(b))


def test_line_batches_split_any_file_like_the_blocks() -> None:
    rng = random.Random(5)
    for _ in range(300):
        lines = [b"x" * rng.choice([0, 1, 5, 40, 130]) for _ in range(rng.randint(0, 25))]
        data = b"\n".join(lines) + (b"\n" if rng.random() < 0.5 else b"")
        reader = LineReader(io.BytesIO(data), block_bytes=rng.randint(1, 64), max_line=100)
        seen: list[bytes] = []
        for item in reader.batches():
            if isinstance(item, LongLine):
                assert item.line == len(seen) + 1 and item.length > 100
                seen.append(b"x" * item.length)
            else:
                assert isinstance(item, Lines) and item.first_line == len(seen) + 1
                seen.extend(item.lines)
        expected = data.split(b"\n")
        if data.endswith(b"\n") or not data:
            expected.pop()
        assert seen == expected and reader.lines == len(expected)


@pytest.mark.parametrize("workers", [1, 2, 8])
@pytest.mark.parametrize("size", [0, 1, RANGE_BYTES, 3 * RANGE_BYTES + 5, 40 * RANGE_BYTES + 1])
def test_ranges_cover_the_file_and_shrink_at_the_end(size: int, workers: int) -> None:
    ranges = split_ranges(size, workers)
    starts, ends = [a for a, _ in ranges], [b for _, b in ranges]
    assert starts == [0, *ends[:-1]][: len(starts)] and ends[-1:] == ([size] if size else [])
    assert all(b - a <= RANGE_BYTES for a, b in ranges)
    if workers > 1 and size > 2 * workers * RANGE_BYTES:
        assert all(b - a <= TAIL_RANGE_BYTES for a, b in ranges[-2 * workers :])


def test_row_keys_survive_the_trip_to_the_parent() -> None:
    rows = [msgspec.json.encode(dpo(i)) for i in (1, 2, 1)]
    from service.datasets.validator.blocks import process_lines

    result = process_lines(rows, 1, Options(count_tokens=False))
    agg = Aggregator(Options(count_tokens=False))
    agg.add_block(result)
    assert [(i.line, i.code) for i in agg.sink.kept] == [(3, "duplicate_row")]


FLAT = {
    "type": "object",
    "description": "flat",
    "properties": {
        "s": {"type": "string", "description": "a string"},
        "i": {"type": "integer"},
        "n": {"type": ["number", "null"]},
        "b": {"type": "boolean"},
        "o": {"type": "object"},
        "a": {"type": "array"},
    },
    "required": ["s"],
}
NOT_FLAT = [
    {**FLAT, "$schema": "http://json-schema.org/draft-04/schema#"},
    {**FLAT, "properties": {"s": {"type": "string", "enum": ["x"]}}},
    {**FLAT, "properties": {"i": {"type": "integer", "minimum": 1}}},
    {**FLAT, "properties": {"s": {}}},
    {**FLAT, "properties": {"s": {"type": ["string", {"x": 1}]}}},
    {**FLAT, "additionalProperties": {"type": "string"}},
    {**FLAT, "patternProperties": {"^x": {"type": "string"}}},
    {"properties": {"s": {"type": "string"}}},
    # Flat, but not valid JSON Schemas: jsonschema must say why.
    {**FLAT, "required": ["s", "s"]},
    {**FLAT, "description": 5},
    {**FLAT, "properties": {"s": {"type": ["string", "string"]}}},
    {**FLAT, "properties": {"s": {"type": "text"}}},
    {**FLAT, "properties": {"s": {"type": []}}},
]


@pytest.mark.parametrize("schema", NOT_FLAT)
def test_schemas_with_more_than_types_go_to_jsonschema(schema: dict[str, Any]) -> None:
    assert simple_schema(schema) is None


def test_flat_schemas_are_valid_json_schemas() -> None:
    from jsonschema import Draft202012Validator

    rng = random.Random(9)
    names = ["string", "integer", "number", "boolean", "null", "object", "array"]
    for _ in range(300):
        props = {
            f"p{i}": {"type": rng.choice([rng.choice(names), rng.sample(names, 2)])}
            for i in range(rng.randint(0, 4))
        }
        schema: dict[str, Any] = {"type": "object", "properties": props, "title": "t"}
        schema["required"] = rng.sample(sorted(props), rng.randint(0, len(props)))
        schema["additionalProperties"] = rng.random() < 0.5
        assert simple_schema(schema) is not None
        Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("extra", [True, False])
def test_the_quick_schema_test_only_accepts_what_jsonschema_accepts(extra: bool) -> None:
    from jsonschema import Draft202012Validator

    schema = {**FLAT, "additionalProperties": extra}
    quick, full = simple_schema(schema), Draft202012Validator(schema)
    assert quick is not None
    rng = random.Random(3)
    values: list[Any] = ["x", 1, 1.0, 2.5, True, None, {}, [], {"k": 1}, [1]]
    fitting: dict[str, list[Any]] = {
        "s": ["x"],
        "i": [3],
        "n": [2.5, None, 1],
        "b": [False],
        "o": [{}],
        "a": [[]],
        "zz": [1],
    }
    accepted = 0
    for _ in range(3000):
        keys = rng.sample(sorted(fitting), rng.randint(0, 4))
        args: Any = {k: rng.choice(values if rng.random() < 0.3 else fitting[k]) for k in keys}
        if rng.random() < 0.05:
            args = list(args)
        # A refusal only means "ask jsonschema" (which accepts 1.0 as an integer, say).
        if quick.accepts(args):
            accepted += 1
            assert full.is_valid(args), args
    assert accepted > 100


def test_a_flat_schema_still_reports_bad_arguments() -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": FLAT}}
    bad = {"role": "assistant", "tool_calls": [call("f", '{"s": 5}')]}
    row = edit(dpo(1, tools=[tool]), "preferred_output/0", bad)
    found = validate_line(json.dumps(row).encode(), 1, "dpo")
    assert [(i.code, i.path) for i in found.issues] == [
        ("tool_arguments_invalid", "/preferred_output/0/tool_calls/0/function/arguments")
    ]
    good = edit(row, "preferred_output/0/tool_calls/0/function/arguments", '{"s": "x", "i": 2}')
    assert validate_line(json.dumps(good).encode(), 1, "dpo").issues == []
