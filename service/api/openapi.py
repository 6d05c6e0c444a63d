"""What the OpenAPI document says, beyond what Litestar reads off the handlers' signatures.

Other teams generate clients from /schema/openapi.json, so it must list every status a route can
answer, each error as the problem+json body it is. Most of that follows from a handler's
signature (`document_problems`): authenticated routes answer 401/429/503, routes with a path
parameter 404, routes with a JSON body 413. What only the domain knows (a 409 on a conflict, a 422
on invalid input, 413/415 on uploads) is declared at the route with `responses=problems(...)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec
from litestar import Litestar

# Litestar's own schema for msgspec structs (not exported): ours only adds to it.
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import QueryParameter
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

from service.api.problems import PROBLEM_JSON, TITLES
from service.api.uploads import FORM_FIELDS
from service.datasets.service import NAME_LENGTH


class ProblemFieldError(msgspec.Struct):
    """One thing wrong with the request, and where: a line of an upload or a JSON Pointer."""

    code: str
    message: str
    line: int | None = None
    path: str | None = None


class Problem(msgspec.Struct):
    """RFC 9457 problem details: every error this API answers. Extension members (such as
    `checks` of /health/ready) may be added, so unknown fields are allowed."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemFieldError] = msgspec.field(default_factory=list)


# Every route: NUL characters in path or query parameters, and Litestar's own parameter checks.
ANY_ROUTE = (400,)
# The `principal` dependency: a key looked up in the database (401; 503 when it is down), then
# the key's rate limit (429).
AUTHENTICATED = (401, 429, 503)
# A database session: the database may be unreachable for a moment.
DATABASE = (503,)
# A resource named in the path: missing, or another team's.
NAMED = (404,)
# A JSON body: larger than the app's request_max_body_size.
JSON_BODY = (413,)
# An upload (service.api.uploads): too large, not JSONL or multipart, or invalid options.
UPLOAD = (413, 415, 422)
# A create that takes an Idempotency-Key (service.api.idempotency): the key in flight or reused
# with another body is 409, 422 when the key itself is malformed.
IDEMPOTENT = (409, 422)


def problem_response(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        media_type=PROBLEM_JSON,
        description=TITLES.get(status, "Error"),
        generate_examples=False,
    )


def problems(*groups: int | Iterable[int]) -> dict[int, ResponseSpec]:
    """The `responses=` of a route: a problem+json response for each status named."""
    statuses: set[int] = set()
    for group in groups:
        statuses.update([group] if isinstance(group, int) else group)
    return {status: problem_response(status) for status in sorted(statuses)}


def derived_statuses(handler: HTTPRouteHandler, route: HTTPRoute) -> set[int]:
    """What a handler can answer, read off its signature and its route."""
    fields = handler.parsed_fn_signature.parameters
    statuses = set(ANY_ROUTE)
    if "principal" in fields:
        statuses.update(AUTHENTICATED)
    if "session" in fields:
        statuses.update(DATABASE)
    if route.path_parameters:
        statuses.update(NAMED)
    if "data" in fields:
        statuses.update(JSON_BODY)
    return statuses


def document_problems(app: Litestar) -> None:
    """Give every handler the problem+json responses it can answer, on top of those it
    declares. Runs before the document is first built (Litestar builds it on first request)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            declared = dict(handler.responses or {})
            derived = problems(derived_statuses(handler, route))
            handler.responses = {**derived, **declared}


class ClosedStructSchemaPlugin(StructSchemaPlugin):
    """msgspec structs that refuse unknown fields say so: `additionalProperties: false` (a
    generated client must not invent an `additional_properties` bag the API would refuse)."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return super().is_plugin_supported_field(field_definition) and bool(
            field_definition.type_.__struct_config__.forbid_unknown_fields
        )

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        for field in msgspec.structs.fields(field_definition.type_):
            prop = (schema.properties or {}).get(field.encode_name)
            if isinstance(prop, Schema):
                _constrain(prop, field.type)
        return schema


def first(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def _constrain(schema: Schema, annotation: Any) -> None:
    """Put a field's `msgspec.Meta` bounds (`ge`/`le`, or `minimum`/`maximum` and `enum` in
    `extra_json_schema` when the domain checks them with a message of its own) on the schema
    of the value they constrain: Litestar drops a bound of 0 and an `enum`, and puts the
    others beside the `oneOf` of an optional field instead of on its non-null branch."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        for meta in args[1:]:
            if isinstance(meta, msgspec.Meta):
                extra = meta.extra_json_schema or {}
                schema.minimum = first(meta.ge, extra.get("minimum"), schema.minimum)
                schema.maximum = first(meta.le, extra.get("maximum"), schema.maximum)
                schema.enum = extra.get("enum", schema.enum)
        _constrain(schema, args[0])
    elif origin in (Union, UnionType) and schema.one_of:
        values = [arg for arg in args if arg is not type(None)]
        branches = [b for b in schema.one_of if isinstance(b, Schema) and b.type != "null"]
        if len(values) == len(branches) == 1:
            schema.minimum = schema.maximum = None
            _constrain(branches[0], values[0])
    elif origin is list and isinstance(schema.items, Schema):
        _constrain(schema.items, args[0])


def query_string(**schema: Any) -> QueryParameter:
    """An optional query string, with the constraints the handler (or the domain) checks
    (e.g. `pattern`, `min_length`) stated in the document. The schema is the plain string:
    left out, the parameter is None."""
    return QueryParameter(schema_extra={**schema, "type": OpenAPIType.STRING, "one_of": None})


def query_choices(choices: Sequence[str]) -> QueryParameter:
    """A repeatable query parameter whose every value must be one of `choices`."""
    items = Schema(type=OpenAPIType.STRING, enum=list(choices))
    return QueryParameter(schema_extra={"type": OpenAPIType.ARRAY, "items": items, "one_of": None})


def query_choice(choices: Sequence[str]) -> QueryParameter:
    """An optional query string that must be one of `choices`. The handler (or the domain)
    still checks the value and answers 422 naming the choices; this puts them in the
    document. The schema is the plain string enum: left out, the parameter is None."""
    return QueryParameter(
        schema_extra={"enum": list(choices), "type": OpenAPIType.STRING, "one_of": None}
    )


def file_operation() -> type[Operation]:
    """An `operation_class=` for a route answering a file: Litestar documents its
    Last-Modified as an RFC 3339 date-time, but it is an HTTP-date (RFC 9110)."""

    @dataclass
    class FileOperation(Operation):
        def __post_init__(self) -> None:
            for response in (self.responses or {}).values():
                headers = response.headers if isinstance(response, OpenAPIResponse) else None
                if headers and isinstance(headers.get("last-modified"), OpenAPIHeader):
                    headers["last-modified"] = OpenAPIHeader(
                        schema=Schema(type=OpenAPIType.STRING),
                        description="when the file was stored, as an HTTP-date "
                        "(e.g. Mon, 07 Dec 2026 15:01:54 GMT)",
                    )

    return FileOperation


@dataclass
class OptionalBodyOperation(Operation):
    """An `operation_class=` for a route whose JSON body may be left out (`data: X | None =
    None`): Litestar marks every declared body required."""

    def __post_init__(self) -> None:
        if isinstance(self.request_body, RequestBody):
            self.request_body.required = False


def upload_body(description: str, choices: Mapping[str, Sequence[str]]) -> RequestBody:
    """The upload routes read their body as a stream (service.api.uploads), so Litestar sees
    no `data` to describe: raw JSONL, or a form with the file as `file` and the options as
    fields (`choices`: the values an option may take). The other JSONL media types the route
    accepts are left to the description: one raw body is enough for a client."""
    binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
    fields = {
        name: Schema(type=OpenAPIType.STRING, enum=list(choices[name]) if name in choices else None)
        for name in FORM_FIELDS
    }
    fields["name"] = Schema(
        type=OpenAPIType.STRING, min_length=NAME_LENGTH[0], max_length=NAME_LENGTH[1]
    )
    form = Schema(type=OpenAPIType.OBJECT, properties={"file": binary, **fields}, required=["file"])
    content = {
        "application/jsonl": OpenAPIMediaType(schema=binary),
        "multipart/form-data": OpenAPIMediaType(schema=form),
    }
    return RequestBody(content=content, description=description, required=True)


UPLOAD_BUSY = (
    "Service unavailable: as many uploads as this server takes at once are already being "
    "received or validated (or a validation worker stopped, or the database is unreachable "
    "for a moment). Nothing was stored: send the upload again after `Retry-After` seconds."
)
RETRY_AFTER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
    description="seconds to wait before sending the request again",
)


def upload_operation(description: str, choices: Mapping[str, Sequence[str]]) -> type[Operation]:
    """An `operation_class=` for an upload route: its Operation with the upload's body, and
    its 503 (the validation queue is full) with Retry-After."""
    body = upload_body(description, choices)

    @dataclass
    class UploadOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = body
            busy = (self.responses or {}).get("503")
            if isinstance(busy, OpenAPIResponse):
                busy.description = UPLOAD_BUSY
                busy.headers = {"Retry-After": RETRY_AFTER}

    return UploadOperation
