"""Files and Uploads through the real openai SDK."""

from __future__ import annotations

import hashlib

import openai
import pytest

from service.emulators.config import EmulatorConfig
from tests.emulators.helpers import RunningEmulator, serve
from tests.emulators.openai_compat.helpers import dpo_row, error_message, jsonl, upload

DATA = jsonl([dpo_row(index) for index in range(10)])


def test_upload_is_processed_and_content_round_trips(client: openai.OpenAI) -> None:
    created = client.files.create(file=("train.jsonl", DATA), purpose="fine-tune")
    fetched = client.files.retrieve(created.id)

    assert created.id.startswith("file-")
    assert len(created.id) == len("file-") + 22
    assert created.status == "processed"
    assert (created.bytes, created.filename, created.purpose) == (
        len(DATA),
        "train.jsonl",
        "fine-tune",
    )
    assert fetched == created
    assert client.files.content(created.id).read() == DATA


def test_list_filters_orders_and_pages(client: openai.OpenAI) -> None:
    first = upload(client, [dpo_row(1)], name="a.jsonl")
    second = client.files.create(file=("b.txt", b"notes"), purpose="assistants").id
    third = upload(client, [dpo_row(3)], name="c.jsonl")

    newest_first = [f.id for f in client.files.list().data]
    oldest_first = [f.id for f in client.files.list(order="asc").data]
    fine_tune = [f.id for f in client.files.list(purpose="fine-tune").data]
    page = client.files.list(limit=1)
    after = client.files.list(limit=1, after=page.data[0].id)

    assert newest_first == [third, second, first]
    assert oldest_first == [first, second, third]
    assert fine_tune == [third, first]
    assert page.has_more
    assert [f.id for f in after.data] == [second]


def test_delete_then_404(client: openai.OpenAI) -> None:
    file_id = upload(client, [dpo_row(1)])
    deleted = client.files.delete(file_id)

    assert (deleted.id, deleted.deleted, deleted.object) == (file_id, True, "file")
    with pytest.raises(openai.NotFoundError) as info:
        client.files.retrieve(file_id)
    assert error_message(info.value) == f"No such File object: {file_id}"
    with pytest.raises(openai.NotFoundError):
        client.files.delete(file_id)


@pytest.mark.parametrize(
    ("filename", "purpose", "param"),
    [("train.csv", "fine-tune", "file"), ("train.jsonl", "fine-tuning", "purpose")],
)
def test_upload_rejections(client: openai.OpenAI, filename: str, purpose: str, param: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.files.create(file=(filename, DATA), purpose=purpose)  # type: ignore[arg-type]
    assert info.value.param == param


def test_expires_after_sets_expires_at(client: openai.OpenAI) -> None:
    created = client.files.create(
        file=("batch.jsonl", DATA),
        purpose="batch",
        expires_after={"anchor": "created_at", "seconds": 3600},
    )
    assert created.expires_at == created.created_at + 3600


def test_file_size_cap() -> None:
    with serve(EmulatorConfig(max_file_bytes=len(DATA) - 1)) as running, running.client() as client:
        with pytest.raises(openai.APIStatusError) as info:
            client.files.create(file=("train.jsonl", DATA), purpose="fine-tune")
        assert info.value.status_code == 413
        assert info.value.code == "file_too_large"
        assert running.state()["files"] == 0


def test_uploads_assemble_parts_in_the_given_order(client: openai.OpenAI) -> None:
    head, tail = DATA[:100], DATA[100:]
    created = client.uploads.create(
        bytes=len(DATA), filename="big.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    tail_part = client.uploads.parts.create(created.id, data=tail)  # parts may arrive in any order
    head_part = client.uploads.parts.create(created.id, data=head)
    done = client.uploads.complete(
        created.id,
        part_ids=[head_part.id, tail_part.id],
        md5=hashlib.md5(DATA, usedforsecurity=False).hexdigest(),
    )

    assert created.status == "pending"
    assert created.file is None
    assert head_part.upload_id == created.id
    assert done.status == "completed"
    assert done.file is not None
    assert done.file.bytes == len(DATA)
    assert client.files.content(done.file.id).read() == DATA


def test_upload_byte_count_must_match(client: openai.OpenAI) -> None:
    created = client.uploads.create(
        bytes=len(DATA) + 1, filename="big.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    part = client.uploads.parts.create(created.id, data=DATA)
    with pytest.raises(openai.BadRequestError) as info:
        client.uploads.complete(created.id, part_ids=[part.id])
    assert "does not match" in error_message(info.value)


def test_cancelled_upload_takes_no_parts(client: openai.OpenAI) -> None:
    created = client.uploads.create(
        bytes=3, filename="big.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    cancelled = client.uploads.cancel(created.id)
    with pytest.raises(openai.BadRequestError):
        client.uploads.parts.create(created.id, data=b"abc")
    assert cancelled.status == "cancelled"


def test_sdk_chunked_upload_helper(client: openai.OpenAI, emulator: RunningEmulator) -> None:
    done = client.uploads.upload_file_chunked(
        file=DATA,
        bytes=len(DATA),
        filename="chunked.jsonl",
        mime_type="text/jsonl",
        purpose="fine-tune",
        part_size=64,
    )
    assert done.file is not None
    assert client.files.content(done.file.id).read() == DATA
    assert emulator.state()["files_by_purpose"] == {"fine-tune": 1}
