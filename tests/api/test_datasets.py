"""POST/GET/DELETE /v1/datasets on the real database: good input stored once, bad input a
clear problem+json with lines and nothing written."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import httpx
import psutil
import pytest
from litestar import Litestar

from service.api.app import create_app
from service.api.deps import resources
from service.config import Settings
from service.datasets.validation import RETRY_AFTER_SECONDS
from tests.api.conftest import Client, Keys, auth
from tests.api.helpers import JSONL, assert_problem, create_job, upload
from tests.support.data import dpo_row, dpo_rows, jsonl, sft_rows
from tests.support.processes import validation_workers


def stored_files(settings: Settings) -> list[Path]:
    return [p for p in settings.blob_root.rglob("*") if p.is_file()]


def test_upload_raw_jsonl_then_same_bytes_again(client: Client, keys: Keys) -> None:
    body = jsonl(dpo_rows(12))
    first = upload(client, keys.team_a, body, name="prefs")
    assert first.status_code == 201, first.text
    dataset = first.json()
    assert dataset["id"].startswith("ds_")
    assert (dataset["name"], dataset["kind"], dataset["status"]) == ("prefs", "dpo", "ready")
    assert dataset["bytes"] == len(body)
    assert dataset["sha256"] == hashlib.sha256(body).hexdigest()
    assert dataset["examples"] == 12
    assert dataset["report"]["valid"] is True
    again = upload(client, keys.team_a, body)
    assert again.status_code == 200
    assert again.json()["id"] == dataset["id"]
    content = client.get(f"/v1/datasets/{dataset['id']}/content", headers=auth(keys.team_a))
    assert content.content == body


def test_upload_multipart_with_form_fields(client: Client, keys: Keys) -> None:
    body = jsonl(dpo_rows(11))
    response = client.post(
        "/v1/datasets",
        headers=auth(keys.team_a),
        files={"file": ("train.jsonl", body, "application/jsonl")},
        data={"name": "from-form"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "from-form"
    assert response.json()["examples"] == 11


def test_an_option_given_twice_must_agree(client: Client, keys: Keys) -> None:
    body = jsonl(dpo_rows(11))
    files = {"file": ("train.jsonl", body, "application/jsonl")}

    def send(form_format: str) -> Any:
        return client.post(
            "/v1/datasets/validate?format=openai",
            headers=auth(keys.team_a),
            files=files,
            data={"format": form_format},
        )

    assert send("openai").status_code == 200
    problem = assert_problem(send("not-a-format"), 422)
    [error] = problem["errors"]
    assert (error["code"], error["path"]) == ("conflicting_option", "/format")
    assert "'openai' as a query parameter, 'not-a-format' as a form field" in error["message"]


def test_invalid_lines_are_reported_with_line_numbers_and_nothing_is_written(
    client: Client,
    keys: Keys,
    settings: Settings,
) -> None:
    rows = [json.dumps(r).encode() for r in dpo_rows(12)]
    rows[1] = b'{"input": {"messages": [], "broken"'
    bad_output = dpo_row(5)
    bad_output["preferred_output"] = [{"role": "user", "content": "x"}]
    rows[4] = json.dumps(bad_output).encode()
    body = assert_problem(upload(client, keys.team_a, b"\n".join(rows) + b"\n"), 422)
    lines = {error.get("line") for error in body["errors"]}
    assert {2, 5} <= lines
    assert all(error["code"] and error["message"] for error in body["errors"])
    assert body["report"]["valid"] is False
    assert body["report"]["errors_total"] >= 2
    assert client.get("/v1/datasets", headers=auth(keys.team_a)).json()["data"] == []
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00\xff\xfe garbage \x89PNG",
        b"<html><body>not json</body></html>\n",
        jsonl(dpo_rows(3)),
    ],
    ids=["empty", "binary", "html", "too-few-examples"],
)
def test_non_datasets_are_422(
    client: Client,
    keys: Keys,
    settings: Settings,
    body: bytes,
) -> None:
    problem = assert_problem(upload(client, keys.team_a, body), 422)
    assert problem["errors"]
    assert stored_files(settings) == []


def test_wrong_content_type_is_415(client: Client, keys: Keys) -> None:
    response = client.post(
        "/v1/datasets",
        content=jsonl(dpo_rows()),
        headers=auth(keys.team_a) | {"Content-Type": "text/plain"},
    )
    assert "application/jsonl" in assert_problem(response, 415)["detail"]


def test_too_large_is_413_and_nothing_is_written(
    client: Client,
    keys: Keys,
    settings: Settings,
) -> None:
    body = jsonl(dpo_rows(12)) * (settings.max_upload_bytes // 2000)
    assert len(body) > settings.max_upload_bytes
    assert_problem(upload(client, keys.team_a, body), 413)
    assert stored_files(settings) == []


def test_multipart_without_a_file_field(client: Client, keys: Keys) -> None:
    response = client.post(
        "/v1/datasets",
        headers=auth(keys.team_a),
        files={"other": ("x.jsonl", b"{}", "application/jsonl")},
    )
    assert assert_problem(response, 422)["errors"][0]["path"] == "/file"


def test_bad_options_are_422(client: Client, keys: Keys) -> None:
    problem = assert_problem(upload(client, keys.team_a, kind="rlhf", format="csv"), 422)
    assert {e["path"] for e in problem["errors"]} == {"/kind", "/format"}


def test_validate_stores_nothing(client: Client, keys: Keys, settings: Settings) -> None:
    good = client.post(
        "/v1/datasets/validate", content=jsonl(dpo_rows()), headers=auth(keys.team_a) | JSONL
    )
    bad = client.post("/v1/datasets/validate", content=b"nope\n", headers=auth(keys.team_a) | JSONL)
    assert (good.status_code, good.json()["valid"]) == (200, True)
    assert (bad.status_code, bad.json()["valid"]) == (200, False)
    assert client.get("/v1/datasets", headers=auth(keys.team_a)).json()["data"] == []
    assert stored_files(settings) == []


def test_list_pages_with_a_cursor(client: Client, keys: Keys) -> None:
    ids = [upload(client, keys.team_a, jsonl(dpo_rows(10 + i))).json()["id"] for i in range(3)]
    first = client.get("/v1/datasets", params={"limit": 2}, headers=auth(keys.team_a)).json()
    assert [d["id"] for d in first["data"]] == ids[::-1][:2]
    second = client.get(
        "/v1/datasets",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=auth(keys.team_a),
    ).json()
    assert [d["id"] for d in second["data"]] == [ids[0]]
    assert second["next_cursor"] is None
    for params in ({"limit": 0}, {"limit": 101}, {"cursor": "garbage"}):
        assert_problem(client.get("/v1/datasets", params=params, headers=auth(keys.team_a)), 400)


def test_delete_dataset(client: Client, keys: Keys, settings: Settings) -> None:
    in_use = create_job(client, keys.team_a).json()["training_dataset_id"]
    assert_problem(client.delete(f"/v1/datasets/{in_use}", headers=auth(keys.team_a)), 409)
    free = upload(client, keys.team_a, jsonl(dpo_rows(20))).json()["id"]
    assert client.delete(f"/v1/datasets/{free}", headers=auth(keys.team_a)).status_code == 204
    assert_problem(client.get(f"/v1/datasets/{free}", headers=auth(keys.team_a)), 404)
    assert len(stored_files(settings)) == 1  # only the dataset still in use


def test_upload_with_format_auto_stores_the_converted_openai_rows(
    client: Client, keys: Keys
) -> None:
    """An HH-RLHF file (transcripts) is detected, converted, and stored as OpenAI DPO JSONL."""
    rows = [
        {
            "chosen": f"\n\nHuman: What is {i} + 2?\n\nAssistant: {i + 2}.",
            "rejected": f"\n\nHuman: What is {i} + 2?\n\nAssistant: {i + 3}.",
        }
        for i in range(10)
    ]
    response = upload(client, keys.team_a, jsonl(rows), format="auto")
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert dataset["report"]["detected_format"] == "hh-rlhf"
    assert dataset["examples"] == 10
    content = client.get(f"/v1/datasets/{dataset['id']}/content", headers=auth(keys.team_a))
    first = json.loads(content.content.splitlines()[0])
    assert first == {
        "input": {"messages": [{"role": "user", "content": "What is 0 + 2?"}]},
        "preferred_output": [{"role": "assistant", "content": "2."}],
        "non_preferred_output": [{"role": "assistant", "content": "3."}],
    }


def test_sft_with_format_auto_detects_openai_chat_rows(client: Client, keys: Keys) -> None:
    """format=auto finds the one SFT format, as JSON Lines (stored as sent) and as an array."""
    body = jsonl(sft_rows(12))
    response = upload(client, keys.team_a, body, kind="sft", format="auto")
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert (dataset["kind"], dataset["report"]["detected_format"]) == ("sft", "openai")
    assert dataset["sha256"] == hashlib.sha256(body).hexdigest()
    array = json.dumps(sft_rows(13), indent=2).encode()
    response = upload(client, keys.team_a, array, kind="sft", format="auto")
    assert response.status_code == 201, response.text
    assert response.json()["examples"] == 13


def test_sft_with_format_auto_names_the_sft_format_when_it_finds_none(
    client: Client, keys: Keys
) -> None:
    body = jsonl([{"prompt": "Q", "completion": "A"}] * 12)
    problem = assert_problem(upload(client, keys.team_a, body, kind="sft", format="auto"), 422)
    [error] = [e for e in problem["errors"] if e["code"] == "unknown_format"]
    assert "messages" in error["message"]
    assert "TRL" not in error["message"] and "ShareGPT" not in error["message"]


def test_a_format_that_does_not_exist_for_the_kind_is_422(client: Client, keys: Keys) -> None:
    """The converters produce DPO rows; an SFT upload names its own format or auto."""
    problem = assert_problem(
        upload(client, keys.team_a, jsonl(sft_rows()), kind="sft", format="trl"), 422
    )
    [error] = problem["errors"]
    assert (error["code"], error["path"]) == ("invalid_format", "/format")
    assert "openai, auto" in error["message"] and "trl" not in error["message"]


def test_the_same_bytes_under_a_new_name_say_they_were_already_stored(
    client: Client, keys: Keys
) -> None:
    body = jsonl(dpo_rows(12))
    first = upload(client, keys.team_a, body, name="prefs")
    assert (first.status_code, first.json()["already_stored"]) == (201, False)
    again = upload(client, keys.team_a, body, name="prefs-v2")
    assert again.status_code == 200
    dataset = again.json()
    assert (dataset["id"], dataset["name"]) == (first.json()["id"], "prefs")
    assert dataset["already_stored"] is True
    read = client.get(f"/v1/datasets/{dataset['id']}", headers=auth(keys.team_a)).json()
    assert "already_stored" not in read  # a property of the upload, not of the dataset


def gated(settings: Settings, *, concurrency: int, queue: int) -> Settings:
    return settings.model_copy(
        update={
            "validation_workers": 2,
            "validation_concurrency": concurrency,
            "validation_queue": queue,
        }
    )


async def held_body(
    first: bytes, received: asyncio.Event, release: asyncio.Event, rest: bytes
) -> AsyncIterator[bytes]:
    """An upload whose body stops after `first` until `release`: it stays in flight. The app
    asking for more (`received`) shows it was admitted."""
    yield first
    received.set()
    await release.wait()
    yield rest


def in_process(app: Litestar) -> httpx.AsyncClient:
    """Streams request bodies into the app as they are produced (Litestar's TestClient reads a
    body whole before the app sees it)."""
    transport = httpx.ASGITransport(app=cast(Any, app))
    return httpx.AsyncClient(transport=transport, base_url="http://api")


def test_uploads_past_the_queue_get_503_with_retry_after(settings: Settings, keys: Keys) -> None:
    app = create_app(gated(settings, concurrency=1, queue=1))
    body = jsonl(dpo_rows(12))
    headers = {**auth(keys.team_a), "Content-Type": "application/jsonl"}

    async def scenario() -> tuple[list[httpx.Response], httpx.Response]:
        release = asyncio.Event()
        received = [asyncio.Event(), asyncio.Event()]  # one validating, one queued: all it takes
        async with app.lifespan(), in_process(app) as client:
            held = [
                asyncio.create_task(
                    client.post(
                        "/v1/datasets/validate",
                        content=held_body(body[:10], event, release, body[10:]),
                        headers=headers,
                    )
                )
                for event in received
            ]
            await asyncio.gather(*(event.wait() for event in received))
            assert resources(app.state).validation.gate.in_flight == 2
            refused = await client.post("/v1/datasets", content=body, headers=headers)
            release.set()
            return list(await asyncio.gather(*held)), refused

    held, refused = asyncio.run(scenario())
    assert_problem(refused, 503)
    assert refused.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "as many as this server takes at once" in refused.json()["detail"]
    assert [r.status_code for r in held] == [200, 200]  # the admitted ones finish
    assert all(r.json()["valid"] for r in held)


def test_concurrent_uploads_share_one_pool_that_shutdown_closes(
    settings: Settings, keys: Keys
) -> None:
    app = create_app(gated(settings, concurrency=2, queue=8))
    headers = {**auth(keys.team_a), "Content-Type": "application/jsonl"}
    bodies = [jsonl(dpo_rows(12 + n)) for n in range(6)]

    async def scenario() -> tuple[list[int], int, list[psutil.Process]]:
        async with app.lifespan(), in_process(app) as client:
            uploads = [client.post("/v1/datasets", content=b, headers=headers) for b in bodies]
            statuses = [r.status_code for r in await asyncio.gather(*uploads)]
            pool = resources(app.state).validation.pool
            return statuses, pool.started, validation_workers()

    statuses, started, workers = asyncio.run(scenario())
    assert statuses == [201] * 6
    assert started == 1 and 1 <= len(workers) <= 2  # one pool of two, for six uploads
    _, alive = psutil.wait_procs(workers, timeout=30)  # the app has shut down
    assert alive == []
