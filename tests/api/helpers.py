"""Small steps the API tests share."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Client, auth
from tests.support.data import dpo_rows, jsonl

JSONL = {"Content-Type": "application/jsonl"}


def upload(
    client: Client,
    key: str,
    body: bytes | None = None,
    **params: str,
) -> Any:
    return client.post(
        "/v1/datasets",
        content=jsonl(dpo_rows()) if body is None else body,
        headers=auth(key) | JSONL,
        params=params,
    )


def dataset_id(client: Client, key: str, body: bytes | None = None) -> str:
    response = upload(client, key, body)
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


def create_job(client: Client, key: str, **fields: Any) -> Any:
    body = {"model": "gpt-4.1-mini-2025-04-14", **fields}
    if "training_dataset_id" not in body:
        body["training_dataset_id"] = dataset_id(client, key)
    return client.post("/v1/jobs", json=body, headers=auth(key))


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body
