"""Uploads sent the wrong way get an answer that says the right way."""

from __future__ import annotations

from tests.api.conftest import Client, Keys, auth
from tests.api.helpers import assert_problem, upload
from tests.support.data import dpo_rows, jsonl


def post_form(client: Client, key: str, **fields: tuple[str, bytes, str] | str) -> object:
    files = {name: value for name, value in fields.items() if isinstance(value, tuple)}
    data = {name: value for name, value in fields.items() if isinstance(value, str)}
    return client.post("/v1/datasets", headers=auth(key), files=files, data=data)


def test_a_dataset_in_another_form_field_names_the_field_to_use(client: Client, keys: Keys) -> None:
    body = jsonl(dpo_rows())
    assert len(body) > 1024
    problem = assert_problem(post_form(client, keys.team_a, data=("t.jsonl", body, "x")), 422)
    assert "'file'" in problem["detail"] and "'data'" in problem["detail"]
    assert problem["errors"][0]["path"] == "/file"
    small = assert_problem(post_form(client, keys.team_a, data=("t.jsonl", b"{}", "x")), 422)
    assert "'data'" in small["detail"] and small["errors"][0]["path"] == "/file"


def test_a_nul_in_a_form_field_names_it(client: Client, keys: Keys) -> None:
    file = ("t.jsonl", jsonl(dpo_rows()), "application/jsonl")
    problem = assert_problem(post_form(client, keys.team_a, file=file, name="a\u0000b"), 400)
    assert problem["errors"][0]["path"] == "/name"
    assert client.get("/v1/datasets", headers=auth(keys.team_a)).json()["data"] == []


def test_a_body_sent_with_curl_d_hints_at_data_binary(client: Client, keys: Keys) -> None:
    stripped = jsonl(dpo_rows()).replace(b"\n", b"")
    problem = assert_problem(upload(client, keys.team_a, stripped), 422)
    assert any("--data-binary" in e["message"] for e in problem["errors"])


def test_a_csv_body_says_to_send_jsonl(client: Client, keys: Keys) -> None:
    csv = b"prompt,chosen,rejected\n" + b'"q","a","b"\n' * 50
    problem = assert_problem(upload(client, keys.team_a, csv), 422)
    assert problem["errors"][0]["code"] == "csv_not_jsonl"
    assert problem["report"]["counts_by_code"]["csv_not_jsonl"] == 1
