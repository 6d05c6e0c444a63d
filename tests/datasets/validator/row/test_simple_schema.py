"""The quick test for flat parameter schemas: it recognises only flat, valid JSON Schemas, and it
only ever accepts arguments that jsonschema accepts too."""

from __future__ import annotations

import random
from typing import Any

import pytest

from service.datasets.validator.row.simple_schema import simple_schema

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
