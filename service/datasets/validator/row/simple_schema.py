"""The flat parameter schemas most tool definitions use, checked without jsonschema.

jsonschema costs 0.1 s and ~10 MB to import in every worker, and ~15 us to validate a small
object against a small schema: most of the cost of a row with a tool call. Most parameter
schemas are flat: an object whose properties each name JSON types, a `required` list, perhaps
`additionalProperties: false`. `simple_schema` recognises exactly those, and only when they are
valid JSON Schemas (draft 2020-12, the default), so they need no `check_schema`; then
`SimpleSchema.accepts` decides in a microsecond. It only ever *accepts*: arguments it does not
accept go to jsonschema, which finds and words the error. So no message changes, and nothing
jsonschema would reject is accepted.
"""

from __future__ import annotations

from typing import Any, TypeGuard

_TYPES: dict[str, tuple[type, ...]] = {
    # Exact types of decoded JSON: bool is not an integer here, as in JSON Schema.
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
    "object": (dict,),
    "array": (list,),
}
_NOTES = frozenset(("description", "title"))  # annotations: strings, no effect on validation
# No "$schema": an older draft may read `required` differently.
_TOP_KEYS = _NOTES | {"type", "properties", "required", "additionalProperties"}
_PROPERTY_KEYS = _NOTES | {"type"}


class SimpleSchema:
    def __init__(self, properties: dict[str, tuple[type, ...]], required: list[str], extra: bool):
        self.properties = properties
        self.required = required
        self.extra = extra  # additionalProperties

    def accepts(self, args: object) -> bool:
        """True only when the arguments are valid; False means "ask jsonschema"."""
        if type(args) is not dict:
            return False
        props = self.properties
        for name in self.required:
            if name not in args:
                return False
        for key, value in args.items():
            types = props.get(key)
            if types is None:
                if not self.extra:
                    return False
            elif type(value) not in types:
                return False
        return True


def simple_schema(schema: dict[str, Any]) -> SimpleSchema | None:
    """The quick test for a flat, valid parameters schema; None for anything else."""
    if not _plain_keys(schema, _TOP_KEYS) or schema.get("type") != "object":
        return None
    props, required = schema.get("properties", {}), schema.get("required", [])
    extra = schema.get("additionalProperties", True)
    if type(props) is not dict or type(extra) is not bool or not _unique_strings(required):
        return None
    types: dict[str, tuple[type, ...]] = {}
    for name, prop in props.items():
        if type(prop) is not dict or not _plain_keys(prop, _PROPERTY_KEYS):
            return None
        allowed = _types(prop.get("type"))
        if allowed is None:
            return None
        types[name] = allowed
    return SimpleSchema(types, required, extra)


def _plain_keys(schema: dict[str, Any], allowed: frozenset[str]) -> bool:
    """Only `allowed` keywords, and the annotations among them are strings."""
    if not schema.keys() <= allowed:
        return False
    return all(type(schema[k]) is str for k in _NOTES if k in schema)


def _unique_strings(value: object) -> TypeGuard[list[str]]:
    if type(value) is not list or not all(type(v) is str for v in value):
        return False
    return len(set(value)) == len(value)


def _types(declared: object) -> tuple[type, ...] | None:
    """The Python types for a property's `type`: one name, or a non-empty list of distinct
    names (anything else, e.g. no `type` at all, goes to jsonschema)."""
    names = [declared] if type(declared) is str else declared
    if not _unique_strings(names) or not names or not all(n in _TYPES for n in names):
        return None
    return tuple(t for n in names for t in _TYPES[n])
