"""/v1/datasets: upload (validated, converted, stored once), read, download, delete."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TypeAlias, get_args

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import File

from service.api.deps import Caller, Session, Then, resources, team_scope
from service.api.idempotency import IDEMPOTENCY_KEY, run_once
from service.api.openapi import (
    IDEMPOTENT,
    UPLOAD,
    file_operation,
    problems,
    query_choice,
    query_string,
    upload_operation,
)
from service.api.pagination import DEFAULT_LIMIT, Limit, id_cursor_query, id_page
from service.api.schemas import (
    DatasetOut,
    Page,
    UploadOut,
    dataset_out,
    for_providers,
    upload_out,
)
from service.api.uploads import Spooled, spool_body
from service.blobstore import discard
from service.datasets import service as datasets
from service.datasets.service import NAME_LENGTH, UploadOptions
from service.datasets.validator import SOURCE_FORMATS, DatasetKind
from service.db.models import Dataset
from service.errors import FieldError, invalid
from service.pipelines import service as pipelines

UPLOAD_DOC = (
    "Body: raw JSONL (`Content-Type: application/jsonl` or `application/x-ndjson`) or "
    "multipart/form-data with field `file`. `name`, `kind` (dpo|sft) and `format` "
    f"({', '.join(SOURCE_FORMATS)}; for sft only openai or auto, which detects OpenAI chat rows) "
    "as query parameters or form fields."
)
# Both are checked by the dataset service (a 422 naming the choices); these put them in the
# OpenAPI document.
UPLOAD_CHOICES = {"kind": get_args(DatasetKind), "format": SOURCE_FORMATS}
KindQuery: TypeAlias = Annotated[str | None, query_choice(UPLOAD_CHOICES["kind"])]
FormatQuery: TypeAlias = Annotated[str | None, query_choice(UPLOAD_CHOICES["format"])]
NameQuery: TypeAlias = Annotated[
    str | None, query_string(min_length=NAME_LENGTH[0], max_length=NAME_LENGTH[1])
]


class DatasetController(Controller):
    path = "/v1/datasets"
    tags = ["datasets"]

    @post(
        "/",
        request_max_body_size=None,
        status_code=201,
        description=UPLOAD_DOC,
        responses=problems(UPLOAD, IDEMPOTENT),
        operation_class=upload_operation(UPLOAD_DOC, UPLOAD_CHOICES),
    )
    async def upload(
        self,
        request: Request[Any, Any, State],
        session: Session,
        after_commit: Then,
        principal: Caller,
        name: NameQuery = None,
        kind: KindQuery = None,
        format: FormatQuery = None,
    ) -> Response[UploadOut]:
        """Validate and store a dataset: 201 when new; 200 when these bytes are already stored
        for your team as a dataset of this kind, answered as that dataset (its id and name; a
        new `name` is not applied) with `already_stored: true` (false on a 201); 422 with the
        whole validation report when invalid, 413 when too large. With an `Idempotency-Key`
        header, a retry gets the first response again."""
        res = resources(request.app.state)
        async with spooled_upload(request) as (spool, received, sha256):
            options = upload_options(received, name, kind, format)

            async def store() -> Response[UploadOut]:
                stored = await datasets.store_upload(
                    session, res.blobs, principal.team, spool, options, res.validation
                )
                if stored.created:  # its bytes are in place: a row that never commits frees them
                    after_commit.undo(res.blobs.delete, stored.dataset.blob_key)
                files = await datasets.remote_files(session, [stored.dataset.id])
                out = upload_out(
                    stored.dataset,
                    files[stored.dataset.id],
                    already_stored=not stored.created,
                    configured=res.catalogue.configured(),
                )
                return Response(out, status_code=201 if stored.created else 200)

            # The body is never buffered: the key's fingerprint is the spool's digest + options.
            fingerprint = {"sha256": sha256, "options": options}
            return await run_once(
                request, session, after_commit, principal.team, store, body=fingerprint
            )

    @post(
        "/validate",
        request_max_body_size=None,
        status_code=200,
        description=UPLOAD_DOC,
        responses=problems(UPLOAD),
        operation_class=upload_operation(UPLOAD_DOC, UPLOAD_CHOICES),
    )
    async def validate(
        self,
        request: Request[Any, Any, State],
        principal: Caller,
        name: NameQuery = None,
        kind: KindQuery = None,
        format: FormatQuery = None,
    ) -> dict[str, Any]:
        """Validate (and convert) without storing anything: 200 with the report either way;
        its `providers` says whether each provider this deployment has would accept the file
        (`{accepted, problems_total, problems: [{line, path, message}]}`)."""
        res = resources(request.app.state)
        async with spooled_upload(request) as (spool, received, _):
            options = upload_options(received, name, kind, format)
            report = await datasets.validate_only(res.validation, spool, options)
            return for_providers(report, res.catalogue.configured())

    @get("/")
    async def list_datasets(
        self,
        state: State,
        session: Session,
        principal: Caller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Annotated[str | None, id_cursor_query("ds_")] = None,
    ) -> Page:
        """Your datasets, newest first."""
        configured = resources(state).catalogue.configured()

        async def fetch(after: str | None, n: int) -> list[tuple[Dataset, dict[str, str]]]:
            rows = await datasets.list_page(session, team_scope(principal), cursor=after, limit=n)
            files = await datasets.remote_files(session, [row.id for row in rows])
            return [(row, files[row.id]) for row in rows]

        return await id_page(
            fetch,
            prefix="ds_",
            cursor=cursor,
            limit=limit,
            present=lambda pair: dataset_out(*pair, configured),
        )

    @get("/{dataset_id:str}")
    async def get_dataset(
        self, state: State, session: Session, principal: Caller, dataset_id: FromPath[str]
    ) -> DatasetOut:
        """One dataset with its validation report, and whether each provider this deployment
        has would accept it (`providers`)."""
        dataset = await datasets.get(session, team_scope(principal), dataset_id)
        files = await datasets.remote_files(session, [dataset.id])
        return dataset_out(dataset, files[dataset.id], resources(state).catalogue.configured())

    @get(
        "/{dataset_id:str}/content",
        media_type="application/jsonl",
        operation_class=file_operation(),
    )
    async def content(
        self, state: State, session: Session, principal: Caller, dataset_id: FromPath[str]
    ) -> File:
        """The stored JSONL (after a conversion: the OpenAI-format bytes)."""
        dataset = await datasets.get(session, team_scope(principal), dataset_id)
        return File(
            resources(state).blobs.path(dataset.blob_key),
            filename=f"{dataset.id}.jsonl",
            media_type="application/jsonl",
        )

    @delete("/{dataset_id:str}", status_code=204, responses=problems(409))
    async def delete_dataset(
        self,
        state: State,
        session: Session,
        after_commit: Then,
        principal: Caller,
        dataset_id: FromPath[str],
    ) -> None:
        """Delete a dataset and its bytes; 409 while an unfinished job or pipeline uses it."""
        dataset = await pipelines.delete_dataset(session, team_scope(principal), dataset_id)
        after_commit.then(resources(state).blobs.delete, dataset.blob_key)


@asynccontextmanager
async def spooled_upload(
    request: Request[Any, Any, State],
) -> AsyncIterator[tuple[Path, Spooled, str | None]]:
    """The spooled body, what came with it, and (for an Idempotency-Key) its sha256, computed
    while it streams to disk. Admitted first: past the uploads this process takes at once the
    answer is 503 before the body is read."""
    res = resources(request.app.state)
    async with res.validation.admitted():
        spool = res.blobs.temp_path(".upload")
        digest = hashlib.sha256() if IDEMPOTENCY_KEY in request.headers else None
        try:
            with DigestingWriter(io.FileIO(spool, "wb"), digest) as sink:
                received = await spool_body(request, sink, res.settings.max_upload_bytes)
            yield spool, received, digest.hexdigest() if digest else None
        finally:
            discard(spool)


class DigestingWriter(io.BufferedWriter):
    def __init__(self, raw: io.FileIO, digest: Any) -> None:
        super().__init__(raw, buffer_size=1024 * 1024)
        self._digest = digest

    def write(self, data: Any, /) -> int:
        if self._digest is not None:
            self._digest.update(data)
        return super().write(data)


def upload_options(
    received: Spooled, name: str | None, kind: str | None, fmt: str | None
) -> UploadOptions:
    """The options, from the query or the form (the same value in both is fine; two
    different ones are a 422: which one was meant cannot be guessed)."""
    return UploadOptions(
        name=_option(received, "name", name),
        kind=_option(received, "kind", kind) or "dpo",
        format=_option(received, "format", fmt) or "openai",
    )


def _option(received: Spooled, name: str, query: str | None) -> str | None:
    form = received.fields.get(name)
    if query is not None and form is not None and query != form:
        message = (
            f"{name} is given twice with different values: {query!r} as a query parameter, "
            f"{form!r} as a form field; send it once"
        )
        raise invalid(message, [FieldError("conflicting_option", message, path=f"/{name}")])
    return query or form
