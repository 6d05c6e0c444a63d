"""`GET /v1/jobs/{id}/events/stream`: a job's events as Server-Sent Events, for dashboards.

Postgres is polled from the last sequence sent (no pub/sub to lose messages): each poll borrows
a pooled connection for two small queries, and the stream holds none in between. Event ids are
the per-job sequence, so a reconnecting EventSource resumes with `Last-Event-ID`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.api.deps import Caller, Session, resources, team_scope
from service.api.pagination import seq_cursor
from service.api.schemas import event_out
from service.ops import service as ops

POLL_SECONDS = 0.5
BATCH = 100
HEARTBEAT_SECONDS = 15.0  # a comment now and then keeps proxies from closing an idle stream
# Streams end after this long; EventSource reconnects with Last-Event-ID, and a long-lived
# stream can't pin a process that is being drained.
MAX_STREAM_SECONDS = 3600.0


@get(
    "/v1/jobs/{job_id:str}/events/stream",
    tags=["jobs"],
    media_type="text/event-stream",
    responses={
        204: ResponseSpec(
            data_container=None,
            description="the job has finished and every event was sent: stop reconnecting",
        )
    },
)
async def stream_events(
    request: Request[Any, Any, State], session: Session, principal: Caller, job_id: FromPath[str]
) -> ServerSentEvent | Response[None]:
    """The job's events as `text/event-stream`, oldest first, then live until the job has
    finished and every event was sent (a last `event: end` says so). Event ids are sequences:
    `Last-Event-ID` resumes after one. 204 when the job has finished and nothing is left."""
    return await event_stream(request, session, team_scope(principal), job_id)


async def event_stream(
    request: Request[Any, Any, State], session: AsyncSession, team: str | None, job_id: str
) -> ServerSentEvent | Response[None]:
    """The stream of `job_id`'s events as `team` (None: every team) sees them; the console's
    live job page follows the same stream with its session instead of a bearer key."""
    last = request.headers.get("last-event-id") or None
    after = seq_cursor(last, "Last-Event-ID", "send the id of the last event received")
    finished, first = await ops.job_events_after(
        session, team, job_id, after_seq=after, limit=BATCH
    )
    # The stream must not keep this request's pooled connection for its whole life.
    await session.close()
    if finished and not first:
        return Response(None, status_code=204)  # tells EventSource to stop reconnecting
    sessions = resources(request.app.state).sessions
    return ServerSentEvent(follow(sessions, team, job_id, after))


async def follow(
    sessions: async_sessionmaker[AsyncSession], team: str | None, job_id: str, after: int
) -> AsyncIterator[ServerSentEventMessage]:
    started = quiet_since = time.monotonic()
    while True:
        async with sessions() as session:
            finished, events = await ops.job_events_after(
                session, team, job_id, after_seq=after, limit=BATCH
            )
        for event in events:
            data = msgspec.json.encode(event_out(event)).decode()
            yield ServerSentEventMessage(data=data, id=event.seq)
            after, quiet_since = event.seq, time.monotonic()
        if finished and len(events) < BATCH:
            end = msgspec.json.encode({"job_id": job_id}).decode()
            yield ServerSentEventMessage(event="end", data=end)
            return
        if len(events) == BATCH:
            continue  # more are waiting: no pause
        if time.monotonic() - started > MAX_STREAM_SECONDS:
            return
        if time.monotonic() - quiet_since > HEARTBEAT_SECONDS:
            yield ServerSentEventMessage(comment="keep-alive", data=None)
            quiet_since = time.monotonic()
        await asyncio.sleep(POLL_SECONDS)
