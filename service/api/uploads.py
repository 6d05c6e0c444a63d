"""Streams an upload body to a spool file: raw JSONL, or the `file` part of multipart/form-data.

Never holds the body in memory: chunks go to disk as they arrive, and the size limit is enforced
on the bytes received, whatever Content-Length claimed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, BinaryIO

import multipart
from litestar import Request

from service.api.inputs import NUL, refuse
from service.errors import FieldError, ServiceError

JSONL_TYPES = frozenset(
    {
        "application/jsonl",
        "application/x-ndjson",
        "application/x-jsonlines",
        "application/jsonlines",
        "application/json-lines",
        "text/jsonl",
    }
)
MAX_FORM_FIELD_BYTES = 1024
FORM_FIELDS = ("name", "kind", "format")  # read beside `file`; any other field is ignored


@dataclass
class Spooled:
    bytes: int = 0
    fields: dict[str, str] = field(default_factory=dict)
    had_file: bool = False


async def spool_body(request: Request[Any, Any, Any], sink: BinaryIO, max_bytes: int) -> Spooled:
    content_type, options = multipart.parse_options_header(request.headers.get("content-type", ""))
    if content_type in JSONL_TYPES:
        return await _spool_raw(request, sink, max_bytes)
    if content_type == "multipart/form-data" and options.get("boundary"):
        return await _spool_multipart(request, sink, max_bytes, options["boundary"])
    raise ServiceError(
        f"unsupported Content-Type {content_type or '(none)'!r}: send JSONL as "
        "application/jsonl (or application/x-ndjson), or multipart/form-data with a `file` field",
        status=415,
        title="Unsupported media type",
    )


async def _spool_raw(request: Request[Any, Any, Any], sink: BinaryIO, max_bytes: int) -> Spooled:
    spooled = Spooled(had_file=True)
    async for chunk in request.stream():
        spooled.bytes += len(chunk)
        _check_size(spooled.bytes, max_bytes)
        sink.write(chunk)
    return spooled


async def _spool_multipart(
    request: Request[Any, Any, Any], sink: BinaryIO, max_bytes: int, boundary: str
) -> Spooled:
    spooled = Spooled()
    part: _Part | None = None
    try:
        with multipart.PushMultipartParser(boundary, max_segment_count=16) as parser:
            async for chunk in request.stream():
                for event in parser.parse(chunk):
                    part = _on_event(event, part, spooled, sink, max_bytes)
    except multipart.MultipartError as error:
        raise ServiceError(f"malformed multipart body: {error}", status=400) from error
    if not spooled.had_file:
        sent = ", ".join(repr(name) for name in spooled.fields) or "none"
        raise _not_in_file(f"multipart body has no 'file' field (fields sent: {sent})")
    return spooled


def _not_in_file(detail: str) -> ServiceError:
    return ServiceError(
        f"{detail}; send the dataset as field 'file' (curl -F file=@train.jsonl)",
        status=422,
        errors=[FieldError("missing_file", "add the JSONL as field `file`", path="/file")],
    )


@dataclass
class _Part:
    name: str
    value: bytearray | None  # None: the file part, streamed to the sink


def _on_event(
    event: Any, part: _Part | None, spooled: Spooled, sink: BinaryIO, max_bytes: int
) -> _Part | None:
    if isinstance(event, multipart.MultipartSegment):
        is_file = event.name == "file" and not spooled.had_file
        spooled.had_file = spooled.had_file or is_file
        return _Part(event.name, None if is_file else bytearray())
    if event is None:  # end of the current part
        if part is not None and part.value is not None:
            spooled.fields[part.name] = _field_value(part.name, part.value)
        return None
    if part is not None and isinstance(event, bytearray | bytes):
        _write_part_data(part, bytes(event), spooled, sink, max_bytes)
    return part


def _write_part_data(
    part: _Part, data: bytes, spooled: Spooled, sink: BinaryIO, max_bytes: int
) -> None:
    if part.value is None:
        spooled.bytes += len(data)
        _check_size(spooled.bytes, max_bytes)
        sink.write(data)
    elif len(part.value) + len(data) > MAX_FORM_FIELD_BYTES:
        if part.name not in FORM_FIELDS:  # most likely the dataset, under another name
            raise _not_in_file(f"form field {part.name!r} is not read by this upload")
        raise ServiceError(f"form field {part.name!r} is longer than {MAX_FORM_FIELD_BYTES} bytes")
    else:
        part.value.extend(data)


def _field_value(name: str, value: bytearray) -> str:
    text = value.decode("utf-8", "replace")
    if NUL in text:  # PostgreSQL text cannot hold it (`name` is stored)
        message = f"form field {name!r} contains a NUL character (\\u0000)"
        raise refuse("invalid_form_field", f"/{name}", message)
    return text


def _check_size(received: int, max_bytes: int) -> None:
    if received > max_bytes:
        raise ServiceError(
            f"the dataset is larger than the limit of {max_bytes} bytes",
            status=413,
            title="Content too large",
        )
