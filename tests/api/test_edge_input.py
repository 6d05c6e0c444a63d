"""Hostile input at the edge, on every route: a NUL character in a path or query parameter or a
JSON body, a body nested a thousand levels deep, out-of-range cursors, unknown filter values.
Each is a 4xx problem naming the parameter (or the body's JSON Pointer), never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from service.api import inputs
from tests.api.conftest import Client, Keys, auth
from tests.api.helpers import assert_problem, create_job, upload
from tests.api.routes import Operation, operations
from tests.support.data import dpo_rows, jsonl

NUL = "\u0000"
JSON = {"Content-Type": "application/json"}


def first_error(response: Any) -> dict[str, Any] | None:
    """The first field error of a 400 problem, or None when the answer is anything else."""
    if response.status_code != 400 or "problem+json" not in response.headers["content-type"]:
        return None
    errors: list[dict[str, Any]] = response.json().get("errors") or [None]
    return errors[0]


def send(client: Client, key: str, op: Operation, url: str, body: str | None = None) -> Any:
    content = body if body is not None else ("{}" if op.json_body else None)
    return client.request(op.method, url, content=content, headers=auth(key) | JSON)


def test_a_nul_in_any_path_parameter_is_400_naming_it(client: Client, keys: Keys) -> None:
    wrong = []
    checked = 0
    for op in operations(client.app):
        for name in op.path_params:
            url = op.url(**{name: "job_%00"})
            response = send(client, keys.team_a, op, url)
            checked += 1
            if op.method == "HEAD":  # no body to name it (the static assets answer HEAD)
                if response.status_code != 400:
                    wrong.append(f"{op.method} {url}: {response.status_code}")
                continue
            error = first_error(response)
            if not error or (error["code"], error["path"]) != (
                "invalid_path_parameter",
                f"/{name}",
            ):
                wrong.append(f"{op.method} {url}: {response.status_code} {response.text[:120]}")
    assert checked > 20 and wrong == []


def test_a_nul_in_any_query_parameter_is_400_naming_it(client: Client, keys: Keys) -> None:
    wrong = []
    cases = [(op, name) for op in operations(client.app) for name in op.query_params]
    [jobs] = [
        op for op in operations(client.app) if (op.method, op.template) == ("GET", "/v1/jobs")
    ]
    cases += [(jobs, "metadata[team]"), (jobs, f"metadata[a{NUL}]")]
    for op, name in cases:
        value = "x" if NUL in name else f"a{NUL}b"
        response = client.request(
            op.method, op.url(), params={name: value}, headers=auth(keys.team_a)
        )
        error = first_error(response)
        if not error or (error["code"], error["path"]) != ("invalid_query_parameter", f"/{name}"):
            wrong.append(f"{op.method} {op.url()}?{name}: {response.status_code} {response.text}")
    assert len(cases) > 15 and wrong == []


def test_a_nul_in_any_json_body_is_400_naming_its_pointer(client: Client, keys: Keys) -> None:
    wrong = []
    json_ops = [op for op in operations(client.app) if op.json_body]
    for op in json_ops:
        for body, where in (
            ('{"a": ["ok", "b\\u0000"]}', "/a/1"),
            ('{"x": {"k\\u0000": 1}}', f"/x/k{NUL}"),
        ):
            response = send(client, keys.team_a, op, op.url(), body)
            error = first_error(response)
            if not error or (error["code"], error["path"]) != ("invalid_body", where):
                wrong.append(f"{op.method} {op.url()} {body}: {response.status_code}")
    assert len(json_ops) >= 5 and wrong == []


def test_a_json_body_nested_a_thousand_levels_is_400_naming_where(
    client: Client, keys: Keys
) -> None:
    wrong = []
    for op in [op for op in operations(client.app) if op.json_body]:
        for depth in (1_000, 100_000):
            body = '{"a": ' + "[" * depth + "]" * depth + "}"
            response = send(client, keys.team_a, op, op.url(), body)
            error = first_error(response)
            if not error or not error["path"].startswith("/a/0/0/0"):
                wrong.append(f"{op.method} {op.url()} depth {depth}: {response.status_code}")
            elif error["code"] != "invalid_body" or "nested" not in error["message"]:
                wrong.append(f"{op.method} {op.url()}: {error}")
    assert wrong == []


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"suffix": f"exp{NUL}1"}, "/suffix"),
        ({"metadata": {"owner": f"se{NUL}arch"}}, "/metadata/owner"),
        ({"metadata": {f"ow{NUL}ner": "search"}}, f"/metadata/ow{NUL}ner"),
        ({"model": NUL}, "/model"),
        ({"hyperparameters": {"beta": f"0.1{NUL}"}}, "/hyperparameters/beta"),
    ],
)
def test_a_nul_in_a_job_field_names_it(
    client: Client, keys: Keys, fields: dict[str, Any], where: str
) -> None:
    body = assert_problem(create_job(client, keys.team_a, **fields), 400)
    assert body["errors"][0]["path"] == where
    assert "NUL" in body["errors"][0]["message"]
    assert client.get("/v1/jobs", headers=auth(keys.team_a)).json()["data"] == []


def test_a_nul_in_a_webhook_description_names_it(client: Client, keys: Keys) -> None:
    endpoints = "/v1/webhook-endpoints"
    fields = {"url": "https://93.184.215.14/in", "description": f"prod{NUL}"}
    created = client.post(endpoints, json=fields, headers=auth(keys.team_a))
    assert assert_problem(created, 400)["errors"][0]["path"] == "/description"
    endpoint = client.post(endpoints, json={"url": fields["url"]}, headers=auth(keys.team_a))
    patched = client.patch(
        f"{endpoints}/{endpoint.json()['id']}",
        json={"description": f"prod{NUL}"},
        headers=auth(keys.team_a),
    )
    assert assert_problem(patched, 400)["errors"][0]["path"] == "/description"


@pytest.mark.parametrize(
    "cursor", ["2147483648", "99999999999999999999", "²", "\u0661", "-1", " 1"]
)
def test_event_and_metric_cursors_are_ascii_digits_within_range(
    client: Client, keys: Keys, cursor: str
) -> None:
    job = create_job(client, keys.team_a).json()["id"]
    for page in ("events", "metrics"):
        response = client.get(
            f"/v1/jobs/{job}/{page}", params={"cursor": cursor}, headers=auth(keys.team_a)
        )
        assert assert_problem(response, 400)["errors"][0]["path"] == "/cursor"
    largest = client.get(
        f"/v1/jobs/{job}/events", params={"cursor": "2147483647"}, headers=auth(keys.team_a)
    )
    assert largest.status_code == 200 and largest.json()["data"] == []


def test_a_last_event_id_that_is_no_sequence_is_400_naming_it(client: Client, keys: Keys) -> None:
    job = create_job(client, keys.team_a).json()["id"]
    for last in ("²".encode(), b"2147483648"):
        headers = {key.encode(): value.encode() for key, value in auth(keys.team_a).items()}
        headers[b"Last-Event-ID"] = last
        response = client.get(f"/v1/jobs/{job}/events/stream", headers=headers)
        assert assert_problem(response, 400)["errors"][0]["path"] == "/Last-Event-ID"


@pytest.mark.parametrize(
    ("path", "valid"), [("/v1/jobs", "validating_files"), ("/v1/pipelines", "running_sft")]
)
def test_an_unknown_status_filter_is_422_listing_the_valid_ones(
    client: Client, keys: Keys, path: str, valid: str
) -> None:
    response = client.get(path, params={"status": ["failed", "bogus"]}, headers=auth(keys.team_a))
    body = assert_problem(response, 422)
    error = body["errors"][0]
    assert (error["code"], error["path"]) == ("invalid_query_parameter", "/status")
    assert "'bogus'" in error["message"] and valid in error["message"]
    assert "failed" in error["message"]  # the valid statuses are listed, not only the bad one
    listed = client.get(path, params={"status": ["failed", valid]}, headers=auth(keys.team_a))
    assert listed.status_code == 200


@pytest.mark.parametrize("bad", ["yesterday", "0.5", "1700000000"])
def test_a_bad_date_names_the_parameter_and_the_format(
    client: Client, keys: Keys, bad: str
) -> None:
    # A number is no date-time either (seconds since the epoch are not what the document says).
    response = client.get("/v1/jobs", params={"created_after": bad}, headers=auth(keys.team_a))
    body = assert_problem(response, 400)
    error = body["errors"][0]
    assert (error["code"], error["path"]) == ("invalid_query_parameter", "/created_after")
    assert "created_after" in error["message"] and "RFC 3339" in error["message"]
    assert "created_after" in body["detail"]
    bad_limit = client.get("/v1/jobs", params={"limit": "ten"}, headers=auth(keys.team_a))
    error = assert_problem(bad_limit, 400)["errors"][0]
    assert (error["code"], error["path"]) == ("invalid_query_parameter", "/limit")
    assert "integer" in error["message"]


def deep_place(body: bytes) -> str | None:
    """Where the depth check refuses `body`, or None when it lets it through."""
    if inputs.within_max_depth(body):
        return None
    return inputs.too_deep(body).errors[0].path


def test_the_depth_check_names_the_first_value_too_deep() -> None:
    levels = inputs.MAX_JSON_DEPTH
    assert deep_place(b"[" * levels + b"]" * levels) is None
    assert deep_place(b"[" * (levels + 1) + b"]" * (levels + 1)) == "/0" * levels
    inner = b"[" * levels + b"]" * levels
    body = b'{"x": [], "a/b": ["[k{", {"q": 1, "r\\"": [1, 2, ' + inner + b"]}]}"
    assert deep_place(body) == '/a~1b/1/r"/2' + "/0" * (levels - 4)
    wide = b"[" + b'[], "]", {"k": "}"}, ' * 10_000 + b"1]"
    assert deep_place(wide) is None


def test_the_depth_check_reads_a_hostile_body_once() -> None:
    """A string that never ends, or a million quotes, are one pass (no quote restarts a scan)."""
    for body in (b"[" * 40 + b'"' + b'\\"' * 300_000, b"[" * 40 + b'"' * 600_000):
        assert deep_place(body) == "/0" * inputs.MAX_JSON_DEPTH


def test_the_nul_walk_names_keys_and_values() -> None:
    assert inputs.nul_pointer({"a": [1, {"b": f"x{NUL}"}]}) == "/a/1/b"
    assert inputs.nul_pointer({f"k{NUL}": 1}) == f"/k{NUL}"
    assert inputs.nul_pointer(NUL) == ""
    assert inputs.nul_pointer({"a": ["b", 1, None, True]}) is None


def test_a_nul_in_a_dataset_key_is_reported_not_a_500(client: Client, keys: Keys) -> None:
    """The report, stored as jsonb, names the key; jsonb cannot hold U+0000 itself."""
    rows = dpo_rows()
    rows[0][f"x{NUL}y"] = 1
    response = upload(client, keys.team_a, jsonl(rows))
    assert response.status_code == 201, response.text
    [warning] = response.json()["report"]["warnings"]
    assert warning["code"] == "unknown_field" and warning["path"] == "/x\\u0000y"
    read = client.get(f"/v1/datasets/{response.json()['id']}", headers=auth(keys.team_a))
    assert read.json()["report"] == response.json()["report"]
