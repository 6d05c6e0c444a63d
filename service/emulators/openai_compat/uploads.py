"""`uploads`: large files in parts of at most 64 MB, assembled on complete (reference §2)."""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Request, Router, post
from litestar.params import FromPath

from service.emulators.bodies import close_form, read_json_object, read_upload
from service.emulators.config import MIB, EmulatorConfig
from service.emulators.errors import bad_request, missing_parameter, not_found
from service.emulators.openai_compat.deps import EmulatorDep
from service.emulators.openai_compat.files import check_purpose
from service.emulators.openai_compat.records import UploadRecord
from service.emulators.openai_compat.state import Emulator
from service.emulators.openai_compat.wire import part_json, upload_json


def find_upload(emu: Emulator, upload_id: str) -> UploadRecord:
    upload = emu.uploads.get(upload_id)
    if upload is None:
        raise not_found(f"No such Upload object: {upload_id}", param="upload_id")
    if upload.status == "pending" and upload.expires_at <= emu.now():
        upload.status = "expired"
        upload.parts.clear()
    return upload


def pending(upload: UploadRecord) -> UploadRecord:
    if upload.status != "pending":
        raise bad_request(
            f"Upload {upload.id} is {upload.status}; only pending uploads accept this.",
            param="upload_id",
        )
    return upload


@post("/", status_code=200)
async def create_upload(request: Request[Any, Any, Any], emu: EmulatorDep) -> dict[str, Any]:
    """Start an Upload: `{bytes, filename, mime_type, purpose}`; it expires after an hour."""
    body = await read_json_object(request)
    for name in ("bytes", "filename", "mime_type", "purpose"):
        if body.get(name) in (None, ""):
            raise missing_parameter(name)
    size, filename = body["bytes"], body["filename"]
    if (
        isinstance(size, bool)
        or not isinstance(size, int)
        or not 0 < size <= emu.config.max_upload_bytes
    ):
        raise bad_request(
            f"Invalid value for 'bytes': must be between 1 and {emu.config.max_upload_bytes}.",
            param="bytes",
        )
    if not isinstance(filename, str) or not isinstance(body["mime_type"], str):
        raise bad_request("'filename' and 'mime_type' must be strings.", param="filename")
    now = int(emu.now())
    upload = UploadRecord(
        id=emu.ids.upload(),
        filename=filename,
        purpose=check_purpose(body["purpose"], filename),
        mime_type=body["mime_type"],
        expected_bytes=size,
        created_at=now,
        expires_at=now + int(emu.config.upload_expiry_seconds),
    )
    emu.uploads[upload.id] = upload
    return upload_json(upload)


@post("/{upload_id:str}/parts", status_code=200)
async def add_part(
    request: Request[Any, Any, Any], emu: EmulatorDep, upload_id: FromPath[str]
) -> dict[str, Any]:
    """Add a Part (multipart field `data`, at most 64 MB); parts may arrive in any order."""
    upload = pending(find_upload(emu, upload_id))
    form = await request.form()
    try:
        part = await read_upload(form, "data", limit=emu.config.max_part_bytes)
    finally:
        await close_form(form)
    if part is None:
        raise missing_parameter("data")
    part_id = emu.ids.part()
    upload.parts[part_id] = part[1]
    return part_json(upload, part_id, int(emu.now()))


@post("/{upload_id:str}/complete", status_code=200)
async def complete_upload(
    request: Request[Any, Any, Any], emu: EmulatorDep, upload_id: FromPath[str]
) -> dict[str, Any]:
    """Assemble the parts in `part_ids` order into a File; the byte count must match."""
    upload = pending(find_upload(emu, upload_id))
    body = await read_json_object(request)
    part_ids = body.get("part_ids")
    if not isinstance(part_ids, list) or not part_ids:
        raise missing_parameter("part_ids")
    unknown = [part_id for part_id in part_ids if part_id not in upload.parts]
    if unknown:
        raise bad_request(
            f"Part {unknown[0]} does not belong to upload {upload.id}.", param="part_ids"
        )
    total = sum(len(upload.parts[part_id]) for part_id in part_ids)
    if total != upload.expected_bytes:
        raise bad_request(
            f"The number of bytes uploaded ({total}) does not match the number of bytes "
            f"specified when creating the upload ({upload.expected_bytes}).",
            param="part_ids",
        )
    content = b"".join(upload.parts[part_id] for part_id in part_ids)
    md5 = body.get("md5")
    if md5 and hashlib.md5(content, usedforsecurity=False).hexdigest() != md5:
        raise bad_request("The md5 checksum does not match the uploaded bytes.", param="md5")
    upload.parts.clear()  # the parts now live on only as the File's bytes
    upload.file = emu.add_file(content, filename=upload.filename, purpose=upload.purpose)
    upload.status = "completed"
    return upload_json(upload)


@post("/{upload_id:str}/cancel", status_code=200)
async def cancel_upload(emu: EmulatorDep, upload_id: FromPath[str]) -> dict[str, Any]:
    """Cancel a pending Upload; its parts are discarded."""
    upload = pending(find_upload(emu, upload_id))
    upload.status = "cancelled"
    upload.parts.clear()
    return upload_json(upload)


def uploads_router(config: EmulatorConfig) -> Router:
    return Router(
        path="/uploads",
        route_handlers=[create_upload, add_part, complete_upload, cancel_upload],
        request_max_body_size=config.max_part_bytes + MIB,
    )
