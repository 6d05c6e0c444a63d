"""The served OpenAPI document is the contract other teams generate clients from: every status a
route can answer, errors as problem+json, upload bodies, enums and bounds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import msgspec
import pytest

from service.api.pagination import MAX_LIMIT
from service.datasets.service import NAME_LENGTH
from service.datasets.validator import SOURCE_FORMATS, DatasetKind
from service.jobs.states import JobStatus
from service.pipelines.states import PipelineStatus
from service.webhooks.service import MAX_OVERLAP
from service.wiring import EVENT_TYPES
from tests.api.conftest import Client

METHODS = {"get", "post", "put", "patch", "delete"}
# No API key, no rate limit: probes, the scraper, and OpenAI's signed webhooks.
UNAUTHENTICATED = {"/health/live", "/health/ready", "/metrics", "/v1/openai/webhooks"}
PROBLEM_REF = "#/components/schemas/Problem"
UPLOADS = ["/v1/datasets", "/v1/datasets/validate"]


@pytest.fixture
def document(client: Client) -> dict[str, Any]:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_authenticated_routes_document_401_429_503(document: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path}: {status}"
        for path, method, operation in operations(document)
        if path not in UNAUTHENTICATED
        for status in ("401", "429", "503")
        if status not in operation["responses"]
    ]
    assert not missing


def test_routes_with_a_path_parameter_document_404(document: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(document)
        if "{" in path and "404" not in operation["responses"]
    ]
    assert not missing


def test_every_error_is_problem_json(document: dict[str, Any]) -> None:
    wrong = [
        f"{method.upper()} {path} {status}: {response.get('content')}"
        for path, method, operation in operations(document)
        for status, response in operation["responses"].items()
        if int(status) >= 400
        and response.get("content")
        != {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}}
    ]
    assert not wrong


def test_the_problem_schema(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    problem = schemas["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "errors"}
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    item = schemas["ProblemFieldError"]
    assert set(item["properties"]) == {"line", "path", "code", "message"}
    assert set(item["required"]) == {"code", "message"}


def test_domain_errors_are_documented_where_they_happen(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert {"409", "413", "415", "422"} <= set(paths["/v1/datasets"]["post"]["responses"])
    assert {"413", "415", "422"} <= set(paths["/v1/datasets/validate"]["post"]["responses"])
    assert {"409", "413", "422"} <= set(paths["/v1/jobs"]["post"]["responses"])
    assert "409" in paths["/v1/jobs/{job_id}/cancel"]["post"]["responses"]
    assert "409" in paths["/v1/datasets/{dataset_id}"]["delete"]["responses"]
    assert "503" in paths["/health/ready"]["get"]["responses"]


@pytest.mark.parametrize("path", UPLOADS)
def test_uploads_declare_their_bodies(document: dict[str, Any], path: str) -> None:
    content = document["paths"][path]["post"]["requestBody"]["content"]
    assert content["application/jsonl"]["schema"] == {"type": "string", "format": "binary"}
    form = content["multipart/form-data"]["schema"]
    assert form["properties"]["file"] == {"type": "string", "format": "binary"}
    assert form["required"] == ["file"]
    assert form["properties"]["kind"]["enum"] == list(get_args(DatasetKind))
    assert form["properties"]["format"]["enum"] == list(SOURCE_FORMATS)


@pytest.mark.parametrize("path", UPLOADS)
def test_uploads_document_503_with_retry_after(document: dict[str, Any], path: str) -> None:
    busy = document["paths"][path]["post"]["responses"]["503"]
    assert busy["content"] == {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}}
    assert busy["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}
    assert "Retry-After" in busy["description"]


@pytest.mark.parametrize("path", UPLOADS)
def test_kind_and_format_are_enums(document: dict[str, Any], path: str) -> None:
    parameters = {p["name"]: p for p in document["paths"][path]["post"]["parameters"]}
    assert parameters["kind"]["schema"] == {"type": "string", "enum": ["dpo", "sft"]}
    assert parameters["format"]["schema"] == {"type": "string", "enum": list(SOURCE_FORMATS)}


def test_every_limit_is_bounded(document: dict[str, Any]) -> None:
    limits = [
        (f"{method.upper()} {path}", parameter["schema"])
        for path, method, operation in operations(document)
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "limit"
    ]
    assert len(limits) >= 6
    for where, schema in limits:
        assert (schema.get("minimum"), schema.get("maximum")) == (1, MAX_LIMIT), where


def closed_structs() -> list[str]:
    """The API's structs that refuse unknown fields (the app imports every one of them)."""
    found, pending = [], list(msgspec.Struct.__subclasses__())
    while pending:
        struct = pending.pop()
        pending += struct.__subclasses__()
        if struct.__module__.startswith("service.api.") and (
            struct.__struct_config__.forbid_unknown_fields
        ):
            found.append(struct.__name__)
    return found


def test_structs_that_refuse_unknown_fields_say_so(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    names = [name for name in closed_structs() if name in schemas]
    assert {"JobCreate", "PipelineCreate", "EndpointCreate", "EndpointUpdate"} <= set(names)
    assert {name: schemas[name].get("additionalProperties") for name in names} == dict.fromkeys(
        names, False
    )


def test_cursors_state_what_a_next_cursor_looks_like(document: dict[str, Any]) -> None:
    cursors = {
        f"{method.upper()} {path}": parameter["schema"]
        for path, method, operation in operations(document)
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "cursor"
    }
    assert len(cursors) >= 7
    assert cursors["GET /v1/datasets"]["pattern"] == "^ds_[0-9A-HJKMNP-TV-Z]{26}$"
    assert cursors["GET /v1/jobs/{job_id}/events"]["pattern"] == "^[0-9]{1,9}$"
    assert all(schema["type"] == "string" and schema["pattern"] for schema in cursors.values())


@pytest.mark.parametrize(
    ("path", "statuses"),
    [("/v1/jobs", list(JobStatus)), ("/v1/pipelines", list(PipelineStatus))],
)
def test_status_filters_are_enums(document: dict[str, Any], path: str, statuses: list[str]) -> None:
    parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
    schema = parameters["status"]["schema"]
    assert schema == {"type": "array", "items": {"type": "string", "enum": statuses}}


@pytest.mark.parametrize("path", UPLOADS)
def test_the_dataset_name_is_bounded(document: dict[str, Any], path: str) -> None:
    operation = document["paths"][path]["post"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    for schema in (parameters["name"]["schema"], form["properties"]["name"]):
        assert (schema["minLength"], schema["maxLength"]) == NAME_LENGTH


def test_webhook_event_types_and_overlap_are_bounded(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("EndpointCreate", "EndpointUpdate"):
        [listed, _] = schemas[name]["properties"]["event_types"]["oneOf"]
        assert listed["items"]["enum"] == sorted(EVENT_TYPES)
    [seconds, _] = schemas["RotateSecret"]["properties"]["overlap_seconds"]["oneOf"]
    assert (seconds["minimum"], seconds["maximum"]) == (0, MAX_OVERLAP.total_seconds())


def test_streams_and_files_are_documented_as_they_are_sent(document: dict[str, Any]) -> None:
    stream = document["paths"]["/v1/jobs/{job_id}/events/stream"]["get"]["responses"]
    assert set(stream["200"]["content"]) == {"text/event-stream"}
    assert "204" in stream
    content = document["paths"]["/v1/datasets/{dataset_id}/content"]["get"]["responses"]["200"]
    assert content["headers"]["last-modified"]["schema"] == {"type": "string"}  # an HTTP-date


def test_an_optional_body_is_not_required(document: dict[str, Any]) -> None:
    """rotate-secret works without a body (the configured overlap): the document says so."""
    rotate = document["paths"]["/v1/webhook-endpoints/{endpoint_id}/rotate-secret"]["post"]
    assert rotate["requestBody"]["required"] is False
    create = document["paths"]["/v1/webhook-endpoints"]["post"]
    assert create["requestBody"]["required"] is True
