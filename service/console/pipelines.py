"""/console/pipelines: SFT then DPO, each stage's job linked."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery

from service.api.deps import Session, resources
from service.console import reads
from service.console.auth import Viewing
from service.console.pages import page


class PipelinePages(Controller):
    path = "/console/pipelines"
    include_in_schema = False

    @get("/")
    async def list_pipelines(
        self, session: Session, viewer: Viewing, cursor: FromQuery[str | None] = None
    ) -> Response[Any]:
        found = await reads.pipeline_page(session, viewer.team_scope, cursor)
        return page("pipelines.html", viewer, pipelines=found.data, next_cursor=found.next_cursor)

    @get("/{pipeline_id:str}")
    async def pipeline(
        self, state: State, session: Session, viewer: Viewing, pipeline_id: FromPath[str]
    ) -> Response[Any]:
        detail = await reads.pipeline_detail(
            session, resources(state).reader, viewer.team_scope, pipeline_id
        )
        return page("pipeline.html", viewer, detail=detail)
