"""`/v1/files` and the presigned upload URL: Together's upload flow for files up to 5 GB.

`POST /v1/files` (a form: purpose, file_name, file_type, checksum) answers **302** with
`Location`, a URL the emulator itself serves (`/together/_uploads/{id}?expires=…&signature=…`,
an HMAC the key check does not cover, as the SDK sends the bytes there without its key), and
`X-Together-File-Id`; the client PUTs the bytes there, then `POST /v1/files/{id}/preprocess`
answers the `FileResponse`. Bytes already uploaded with the same checksum get a **409** whose
`file_id` the SDK returns instead; a retried `POST` for bytes still awaited gets the same file
again, so a dropped connection never makes two files. A file whose bytes never arrived is listed
but no job can use it.

Files over 5 GB go through `/v1/files/multipart/*` at Together; that flow is not emulated.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from litestar import Request, Response, Router, delete, get, post, put
from litestar.params import FromPath, FromQuery

from service.emulators.config import MIB, EmulatorConfig
from service.emulators.errors import APIError
from service.emulators.faults import COMMIT_BEFORE_DROP
from service.emulators.together.deps import PATH, WorldDep
from service.emulators.together.errors import DuplicateFileError, invalid, not_found
from service.emulators.together.records import FileRecord
from service.emulators.together.state import TogetherWorld
from service.emulators.together.wire import file_json

PURPOSES = ("fine-tune", "calibration", "eval", "batch-api")
FILE_TYPES = ("jsonl", "parquet", "csv")
UPLOAD_PATH = "/_uploads"  # under the mount's path
URL_SECONDS = 3600  # how long a presigned URL stays valid


def find_file(world: TogetherWorld, file_id: str) -> FileRecord:
    record = world.files.get(file_id)
    if record is None:
        raise not_found(f"File {file_id} not found.")
    return record


def uploaded(world: TogetherWorld, file_id: str) -> FileRecord:
    record = find_file(world, file_id)
    if not record.uploaded:
        raise invalid(
            f"File {file_id} has no content yet: PUT its bytes to the upload URL first.",
            param="id",
        )
    return record


def _form_text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _check_upload_form(form: Any) -> tuple[str, str, str, str | None]:
    """(purpose, file name, file type, checksum) of a `POST /v1/files` form."""
    purpose = _form_text(form, "purpose")
    if purpose not in PURPOSES:
        raise invalid(f"purpose must be one of {', '.join(PURPOSES)}.", param="purpose")
    filename = _form_text(form, "file_name")
    if not filename:
        raise invalid("file_name is required.", param="file_name")
    file_type = _form_text(form, "file_type") or filename.rsplit(".", 1)[-1].lower()
    if file_type not in FILE_TYPES:
        raise invalid(f"file_type must be one of {', '.join(FILE_TYPES)}.", param="file_type")
    return purpose, filename, file_type, _form_text(form, "checksum").lower() or None


def sign(world: TogetherWorld, file_id: str, expires: int) -> str:
    message = f"{file_id}:{expires}".encode()
    return hmac.new(world.signing_key.encode(), message, hashlib.sha256).hexdigest()


@post("/", status_code=302, opt={COMMIT_BEFORE_DROP: True})
async def start_upload(request: Request[Any, Any, Any], world: WorldDep) -> Response[bytes]:
    """Hand out a presigned URL for the bytes (302), or 409 for bytes already uploaded."""
    purpose, filename, file_type, checksum = _check_upload_form(await request.form())
    record = None
    if checksum is not None:
        existing = world.file_with_content(checksum)
        if existing is not None:
            raise DuplicateFileError(existing.id)
        record = world.waiting_upload(checksum, filename, purpose)
    if record is None:
        record = FileRecord(
            id=world.ids.file(),
            filename=filename,
            purpose=purpose,
            file_type=file_type,
            checksum=checksum,
            created_at=int(world.now()),
        )
        world.files[record.id] = record
    expires = int(world.now()) + URL_SECONDS
    origin = f"{request.url.scheme}://{request.url.netloc}"
    location = (
        f"{origin}{PATH}{UPLOAD_PATH}/{record.id}"
        f"?expires={expires}&signature={sign(world, record.id, expires)}"
    )
    return Response(
        content=b"",
        status_code=302,
        headers={"Location": location, "X-Together-File-Id": record.id},
    )


@put("/{file_id:str}", status_code=200, opt={COMMIT_BEFORE_DROP: True})
async def receive_bytes(
    request: Request[Any, Any, Any],
    world: WorldDep,
    file_id: FromPath[str],
    expires: FromQuery[int | None] = None,
    signature: FromQuery[str | None] = None,
) -> Response[bytes]:
    """The presigned URL: the bytes of a file `POST /v1/files` announced."""
    good = expires is not None and hmac.compare_digest(
        sign(world, file_id, expires), signature or ""
    )
    if not good:
        raise APIError(
            403,
            "The request signature does not match.",
            type_="access_denied",
            code="SignatureDoesNotMatch",
        )
    if expires is not None and expires < world.now():
        raise APIError(
            403, "The upload URL has expired.", type_="access_denied", code="AccessDenied"
        )
    record = find_file(world, file_id)
    content = await request.body()
    if record.checksum is not None and hashlib.sha256(content).hexdigest() != record.checksum:
        raise invalid(
            "The uploaded bytes do not match the checksum given when the upload started.",
            param="checksum",
        )
    record.content = content
    return Response(content=b"", status_code=200)


@post("/{file_id:str}/preprocess", status_code=200, opt={COMMIT_BEFORE_DROP: True})
async def preprocess(world: WorldDep, file_id: FromPath[str]) -> dict[str, Any]:
    """Mark a file whose bytes arrived as processed; answers its FileResponse."""
    record = uploaded(world, file_id)
    record.processed = True
    return file_json(record)


@get("/")
async def list_files(world: WorldDep) -> dict[str, Any]:
    """Every file of the account, newest first (Together's list has no paging)."""
    return {"data": [file_json(record) for record in reversed(world.files.values())]}


@get("/{file_id:str}")
async def retrieve_file(world: WorldDep, file_id: FromPath[str]) -> dict[str, Any]:
    return file_json(find_file(world, file_id))


@delete("/{file_id:str}", status_code=200)
async def delete_file(world: WorldDep, file_id: FromPath[str]) -> dict[str, Any]:
    """Delete a file; jobs that already checked it are unaffected."""
    record = find_file(world, file_id)
    del world.files[record.id]
    return {"id": record.id, "deleted": True}


@get("/{file_id:str}/content")
async def file_content(world: WorldDep, file_id: FromPath[str]) -> Response[bytes]:
    content = uploaded(world, file_id).content
    assert content is not None
    return Response(content=content, media_type="application/octet-stream")


def files_router() -> Router:
    return Router(
        path="/v1/files",
        route_handlers=[
            start_upload,
            preprocess,
            list_files,
            retrieve_file,
            delete_file,
            file_content,
        ],
    )


def uploads_router(config: EmulatorConfig) -> Router:
    return Router(
        path=UPLOAD_PATH,
        route_handlers=[receive_bytes],
        request_max_body_size=config.max_file_bytes + MIB,
    )
