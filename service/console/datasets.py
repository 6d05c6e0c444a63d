"""/console/datasets: the list, and a page per dataset with its validation report."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery

from service.api.deps import Session, resources
from service.console import reads
from service.console.auth import Viewing
from service.console.pages import page
from service.console.report import report_view


class DatasetPages(Controller):
    path = "/console/datasets"
    include_in_schema = False

    @get("/")
    async def list_datasets(
        self, session: Session, viewer: Viewing, cursor: FromQuery[str | None] = None
    ) -> Response[Any]:
        found = await reads.dataset_page(session, viewer.team_scope, cursor)
        return page("datasets.html", viewer, datasets=found.data, next_cursor=found.next_cursor)

    @get("/{dataset_id:str}")
    async def dataset(
        self,
        request: Request[Any, Any, State],
        session: Session,
        viewer: Viewing,
        dataset_id: FromPath[str],
    ) -> Response[Any]:
        configured = resources(request.app.state).catalogue.configured()
        found = await reads.dataset(session, viewer.team_scope, dataset_id, configured)
        return page("dataset.html", viewer, dataset=found, report=report_view(found.report))
