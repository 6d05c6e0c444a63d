"""`files` (under the provider's path): upload, list, retrieve, delete, content (reference §1)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, delete, get, post
from litestar.params import FromPath, FromQuery

from service.emulators.bodies import close_form, read_upload
from service.emulators.config import MIB, EmulatorConfig
from service.emulators.errors import bad_request, missing_parameter, not_found
from service.emulators.openai_compat.deps import EmulatorDep
from service.emulators.openai_compat.records import FileRecord
from service.emulators.openai_compat.state import Emulator
from service.emulators.openai_compat.wire import file_json
from service.emulators.paging import list_json, paginate, parse_limit

UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
EXPIRY_RANGE = (3600, 2_592_000)


def check_purpose(purpose: Any, filename: str) -> str:
    """One of the six upload purposes; fine-tuning takes `.jsonl` files only."""
    if purpose is None or purpose == "":
        raise missing_parameter("purpose")
    if purpose not in UPLOAD_PURPOSES:
        raise bad_request(
            f"'{purpose}' is not one of {list(UPLOAD_PURPOSES)} - 'purpose'",
            param="purpose",
            code="invalid_value",
        )
    if purpose == "fine-tune" and not filename.lower().endswith(".jsonl"):
        raise bad_request(
            "Invalid file format for Fine-Tuning API. Must be .jsonl",
            param="file",
            code="invalid_value",
        )
    return str(purpose)


def expires_at(anchor: Any, seconds: Any, created_at: float) -> int | None:
    """`expires_after[anchor]=created_at` + `expires_after[seconds]` in 3600..2592000."""
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise bad_request(
            "expires_after.anchor must be 'created_at'.", param="expires_after.anchor"
        )
    try:
        value = int(seconds)
    except (TypeError, ValueError):
        value = -1
    if not EXPIRY_RANGE[0] <= value <= EXPIRY_RANGE[1]:
        raise bad_request(
            f"expires_after.seconds must be between {EXPIRY_RANGE[0]} and {EXPIRY_RANGE[1]}.",
            param="expires_after.seconds",
        )
    return int(created_at) + value


def find_file(emu: Emulator, file_id: str) -> FileRecord:
    record = emu.get_file(file_id)
    if record is None:
        raise not_found(f"No such File object: {file_id}")
    return record


@post("/", status_code=200)
async def create_file(request: Request[Any, Any, Any], emu: EmulatorDep) -> dict[str, Any]:
    """Upload a file: multipart `file` and `purpose`; it is `processed` at once."""
    form = await request.form()
    try:
        upload = await read_upload(form, "file", limit=emu.config.max_file_bytes)
        if upload is None:
            raise missing_parameter("file")
        filename, content = upload
        purpose = check_purpose(form.get("purpose"), filename)
        expiry = expires_at(
            form.get("expires_after[anchor]"), form.get("expires_after[seconds]"), emu.now()
        )
    finally:
        await close_form(form)
    record = emu.add_file(content, filename=filename, purpose=purpose, expires_at=expiry)
    return file_json(record)


@get("/")
async def list_files(
    emu: EmulatorDep,
    after: FromQuery[str | None] = None,
    limit: FromQuery[int | None] = None,
    order: FromQuery[str] = "desc",
    purpose: FromQuery[str | None] = None,
) -> dict[str, Any]:
    """List files, newest first by default (`order=asc` for oldest first)."""
    if order not in ("asc", "desc"):
        raise bad_request("Invalid value for 'order': must be 'asc' or 'desc'.", param="order")
    records = [r for r in emu.live_files() if purpose is None or r.purpose == purpose]
    if order == "desc":
        records.reverse()
    page, has_more = paginate(records, after, parse_limit(limit, default=10_000, maximum=10_000))
    return list_json([file_json(record) for record in page], has_more, with_ids=True)


@get("/{file_id:str}")
async def retrieve_file(emu: EmulatorDep, file_id: FromPath[str]) -> dict[str, Any]:
    """One file object."""
    return file_json(find_file(emu, file_id))


@delete("/{file_id:str}", status_code=200)
async def delete_file(emu: EmulatorDep, file_id: FromPath[str]) -> dict[str, Any]:
    """Delete a file; jobs that already validated it are unaffected, like OpenAI."""
    record = find_file(emu, file_id)
    del emu.files[record.id]
    return {"id": record.id, "object": "file", "deleted": True}


@get("/{file_id:str}/content")
async def file_content(emu: EmulatorDep, file_id: FromPath[str]) -> Response[bytes]:
    """The raw bytes as uploaded (result files: the metrics CSV)."""
    record = find_file(emu, file_id)
    return Response(content=record.content, media_type="application/octet-stream")


def files_router(config: EmulatorConfig) -> Router:
    # multipart framing adds a little to the file itself; the exact cap is checked on the part
    return Router(
        path="/files",
        route_handlers=[create_file, list_files, retrieve_file, delete_file, file_content],
        request_max_body_size=config.max_file_bytes + MIB,
    )
