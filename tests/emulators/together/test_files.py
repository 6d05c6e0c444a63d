"""Together's upload flow through the real SDK (302 to a presigned URL, PUT, preprocess), its 409
for bytes already uploaded, and the file routes; the wire details checked with plain HTTP."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import together
from together import Together
from together.lib.resources.files import FileAlreadyExistsError

from tests.emulators.helpers import RunningEmulator
from tests.emulators.together.helpers import (
    KEY,
    PATH,
    announce,
    dpo_job,
    dpo_row,
    error_of,
    jsonl,
    together_state,
    upload,
    write,
)

ROWS = [dpo_row(index) for index in range(4)]
AUTH = {"Authorization": f"Bearer {KEY}"}


def test_the_sdk_uploads_through_the_presigned_url(
    sdk: Together, emulator: RunningEmulator, tmp_path: Path
) -> None:
    uploaded = sdk.files.upload(write(tmp_path, ROWS), purpose="fine-tune")

    assert uploaded.id.startswith("file-")
    assert (uploaded.filename, uploaded.bytes, uploaded.purpose) == (
        "train.jsonl",
        len(jsonl(ROWS)),
        "fine-tune",
    )
    assert uploaded.file_type == "jsonl"
    assert sdk.files.content(uploaded.id).read() == jsonl(ROWS)
    # the handlers' own paths (the routers' prefixes are not part of the key)
    assert emulator.state()["requests"] == {
        "POST /": 1,
        "PUT /{file_id:str}": 1,
        "POST /{file_id:str}/preprocess": 1,
        "GET /{file_id:str}/content": 1,
    }
    [listed] = together_state(emulator)["file_list"]
    assert (listed["uploaded"], listed["processed"]) == (True, True)


def test_the_same_bytes_again_return_the_same_file(
    sdk: Together, emulator: RunningEmulator, tmp_path: Path
) -> None:
    first = sdk.files.upload(write(tmp_path, ROWS), purpose="fine-tune")
    again = sdk.files.upload(write(tmp_path, ROWS, "copy.jsonl"), purpose="fine-tune")

    assert again.id == first.id
    assert together_state(emulator)["files"] == 1
    with pytest.raises(FileAlreadyExistsError) as info:
        sdk.files.upload(write(tmp_path, ROWS), raise_if_already_exists=True)
    assert info.value.file_id == first.id


def test_the_409_names_the_existing_file(
    sdk: Together, emulator: RunningEmulator, tmp_path: Path
) -> None:
    first = upload(sdk, tmp_path, ROWS)
    response = announce(emulator, jsonl(ROWS))

    assert response.status_code == 409
    body = response.json()
    assert body["file_id"] == first  # where the SDK's UploadManager reads it
    assert body["error"]["code"] == "file_already_exists"
    assert body["error"]["param"] == "checksum"


def test_the_302_and_the_presigned_put(sdk: Together, emulator: RunningEmulator) -> None:
    content = jsonl(ROWS)
    response = announce(emulator, content)

    assert response.status_code == 302
    file_id = response.headers["X-Together-File-Id"]
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == emulator.url
    assert location.path == f"{PATH}/_uploads/{file_id}"
    assert set(parse_qs(location.query)) == {"expires", "signature"}
    put = httpx.put(response.headers["Location"], content=content)  # no key: the URL is signed
    assert put.status_code == 200
    processed = httpx.post(f"{emulator.url}{PATH}/v1/files/{file_id}/preprocess", headers=AUTH)
    assert processed.status_code == 200
    assert processed.json() == {
        "id": file_id,
        "object": "file",
        "created_at": processed.json()["created_at"],
        "filename": "train.jsonl",
        "bytes": len(content),
        "purpose": "fine-tune",
        "FileType": "jsonl",
        "Processed": True,
        "processing_status": "COMPLETED",
    }


def test_a_put_without_a_good_signature_is_refused(emulator: RunningEmulator) -> None:
    content = jsonl(ROWS)
    location = announce(emulator, content).headers["Location"]
    forged = location[:-4] + ("0000" if not location.endswith("0000") else "1111")
    unsigned = location.split("?")[0]

    assert httpx.put(forged, content=content).status_code == 403
    assert httpx.put(unsigned, content=content).status_code == 403
    assert together_state(emulator)["files_uploaded"] == 0


def test_bytes_that_do_not_match_the_checksum_are_refused(emulator: RunningEmulator) -> None:
    location = announce(emulator, jsonl(ROWS)).headers["Location"]
    response = httpx.put(location, content=b"something else\n")
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "checksum"
    assert together_state(emulator)["files_uploaded"] == 0


def test_announcing_the_same_bytes_again_before_the_put_reuses_the_file(
    emulator: RunningEmulator,
) -> None:
    first = announce(emulator, jsonl(ROWS))
    second = announce(emulator, jsonl(ROWS))
    assert second.headers["X-Together-File-Id"] == first.headers["X-Together-File-Id"]
    assert together_state(emulator)["files"] == 1


def test_a_file_whose_bytes_never_arrived_cannot_train(
    sdk: Together, emulator: RunningEmulator
) -> None:
    file_id = announce(emulator, jsonl(ROWS)).headers["X-Together-File-Id"]

    preprocess = httpx.post(f"{emulator.url}{PATH}/v1/files/{file_id}/preprocess", headers=AUTH)
    with pytest.raises(together.BadRequestError) as create:
        dpo_job(sdk, file_id)

    assert sdk.files.retrieve(file_id).bytes == 0  # listed, but empty
    assert preprocess.status_code == 400
    assert "PUT its bytes" in preprocess.json()["error"]["message"]
    assert error_of(create.value)["param"] == "training_file"
    assert "never uploaded" in error_of(create.value)["message"]
    assert together_state(emulator)["jobs"] == 0


@pytest.mark.parametrize(
    ("form", "param"),
    [
        ({"purpose": "fine-tuning"}, "purpose"),
        ({"file_name": ""}, "file_name"),
        ({"file_type": "txt"}, "file_type"),
    ],
)
def test_a_bad_form_names_the_field(
    emulator: RunningEmulator, form: dict[str, str], param: str
) -> None:
    response = announce(emulator, jsonl(ROWS), **form)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_list_retrieve_delete(sdk: Together, tmp_path: Path) -> None:
    older = upload(sdk, tmp_path, ROWS[:2], "a.jsonl")
    newer = upload(sdk, tmp_path, ROWS[2:], "b.jsonl")

    assert [f.id for f in sdk.files.list().data] == [newer, older]
    assert sdk.files.retrieve(older).filename == "a.jsonl"
    deleted = sdk.files.delete(older)
    assert (deleted.id, deleted.deleted) == (older, True)
    with pytest.raises(together.NotFoundError):
        sdk.files.retrieve(older)
    assert [f.id for f in sdk.files.list().data] == [newer]


def test_a_deleted_file_can_be_uploaded_again(sdk: Together, tmp_path: Path) -> None:
    first = upload(sdk, tmp_path, ROWS)
    sdk.files.delete(first)
    assert upload(sdk, tmp_path, ROWS) != first


def test_checksums_are_the_sdks_sha256(
    sdk: Together, emulator: RunningEmulator, tmp_path: Path
) -> None:
    upload(sdk, tmp_path, ROWS)
    [listed] = together_state(emulator)["file_list"]
    assert listed["checksum"] == hashlib.sha256(jsonl(ROWS)).hexdigest()


def test_a_json_announce_is_a_400_naming_the_purpose(emulator: RunningEmulator) -> None:
    response = httpx.post(f"{emulator.url}{PATH}/v1/files", json={"purpose": 1}, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "purpose"


def test_a_put_with_a_malformed_expiry_is_a_400(emulator: RunningEmulator) -> None:
    response = httpx.put(f"{emulator.url}{PATH}/_uploads/file-x?expires=soon&signature=x")
    assert response.status_code == 400
    assert "error" in response.json()
