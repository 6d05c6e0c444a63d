"""Reading bodies ourselves: malformed JSON and oversized parts answer in the error envelope."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, post
from litestar.testing import TestClient

from service.emulators.bodies import close_form, read_json_object, read_upload
from service.emulators.errors import EXCEPTION_HANDLERS

LIMIT = 10


@post("/json", status_code=200)
async def echo_json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return await read_json_object(request)


@post("/upload", status_code=200)
async def upload(request: Request[Any, Any, Any]) -> dict[str, Any]:
    form = await request.form()
    try:
        part = await read_upload(form, "file", limit=LIMIT)
    finally:
        await close_form(form)
    return {"part": None if part is None else [part[0], part[1].decode()]}


def _client() -> TestClient[Litestar]:
    app = Litestar([echo_json, upload], exception_handlers=EXCEPTION_HANDLERS)
    return TestClient(app)


def test_json_objects_are_read_and_an_empty_body_is_an_empty_object() -> None:
    with _client() as client:
        assert client.post("/json", content=b'{"a": 1}').json() == {"a": 1}
        assert client.post("/json", content=b"").json() == {}


def test_anything_but_a_json_object_is_a_400() -> None:
    with _client() as client:
        for body in (b"{not json", b"[1, 2]", b'"text"'):
            response = client.post("/json", content=body)
            assert response.status_code == 400
            assert "could not parse the JSON body" in response.json()["error"]["message"]


def test_upload_parts_with_and_without_a_filename() -> None:
    with _client() as client:
        named = client.post("/upload", files={"file": ("a.jsonl", b"abc")})
        bare = client.post("/upload", data={"file": "abc"})
        missing = client.post("/upload", data={"other": "x"})

    assert named.json() == {"part": ["a.jsonl", "abc"]}
    assert bare.json() == {"part": ["", "abc"]}
    assert missing.json() == {"part": None}


def test_a_part_over_the_limit_is_a_413_naming_the_field() -> None:
    with _client() as client:
        for response in (
            client.post("/upload", files={"file": ("a.jsonl", b"x" * (LIMIT + 1))}),
            client.post("/upload", data={"file": "x" * (LIMIT + 1)}),
        ):
            assert response.status_code == 413
            error = response.json()["error"]
            assert (error["code"], error["param"]) == ("file_too_large", "file")
