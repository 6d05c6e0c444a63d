"""/console/jobs: the list with the API's filters, a page per job, and what keeps a running
job's page current (its live fragment and its event stream)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import ServerSentEvent

from service.api.deps import Session, resources
from service.api.inputs import check_choices
from service.api.sse import event_stream
from service.console import reads
from service.console.auth import Viewing
from service.console.filters import job_query
from service.console.job_view import JobView, job_view
from service.console.pages import page
from service.jobs.states import JobStatus


class JobPages(Controller):
    path = "/console/jobs"
    include_in_schema = False

    @get("/")
    async def list_jobs(
        self,
        request: Request[Any, Any, State],
        viewer: Viewing,
        status: FromQuery[list[str] | None] = None,
        provider: FromQuery[str | None] = None,
        model: FromQuery[str | None] = None,
        dataset_id: FromQuery[str | None] = None,
        metadata: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> Response[Any]:
        statuses = check_choices("status", status or (), JobStatus)  # 422 naming them, as the API
        query = job_query(statuses, provider, model, dataset_id, metadata)
        res = resources(request.app.state)
        found = await reads.job_page(res.reader, viewer.team_scope, query, cursor)
        return page(
            "jobs.html",
            viewer,
            jobs=found.data,
            next_cursor=found.next_cursor,
            query=query,
            statuses=[s.value for s in JobStatus],
            providers=sorted(res.catalogue.offers),
            base_url=str(request.base_url).rstrip("/"),
        )

    @get("/{job_id:str}")
    async def job(
        self,
        request: Request[Any, Any, State],
        session: Session,
        viewer: Viewing,
        job_id: FromPath[str],
    ) -> Response[Any]:
        view = await _view(request, session, viewer, job_id)
        return page("job.html", viewer, view=view)

    @get("/{job_id:str}/live")
    async def live(
        self,
        request: Request[Any, Any, State],
        session: Session,
        viewer: Viewing,
        job_id: FromPath[str],
    ) -> Response[Any]:
        """The parts of the job page that change, for the page to swap in as events arrive."""
        view = await _view(request, session, viewer, job_id)
        return page("_job_live.html", viewer, view=view)

    @get("/{job_id:str}/events/stream")
    async def stream(
        self,
        request: Request[Any, Any, State],
        session: Session,
        viewer: Viewing,
        job_id: FromPath[str],
    ) -> ServerSentEvent | Response[None]:
        """The API's event stream of the job, for the session's key (EventSource sends cookies,
        not an Authorization header)."""
        return await event_stream(request, session, viewer.team_scope, job_id)


async def _view(
    request: Request[Any, Any, State], session: Session, viewer: Viewing, job_id: str
) -> JobView:
    """The job page's view model: the whole page and its live parts are drawn from the same."""
    detail = await reads.job_detail(
        session, resources(request.app.state).reader, viewer.team_scope, job_id
    )
    return job_view(
        detail.job, detail.events, detail.checkpoints, detail.steps, more_events=detail.more_events
    )
