"""The Litestar application: routes, dependencies, error rendering, OpenAPI at /schema."""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin

from service.api.datasets import DatasetController
from service.api.deps import Resources, provide_principal, provide_session
from service.api.health import live, ready
from service.api.jobs import JobController
from service.api.problems import EXCEPTION_HANDLERS
from service.blobstore import BlobStore
from service.config import Settings
from service.db.engine import create_engine, session_factory
from service.queue import WakeUps, connect

DESCRIPTION = (
    "Fine-tune models on preference data. Upload DPO (or SFT) datasets, validated line by line; "
    "create OpenAI fine-tuning jobs; follow every state and event. Errors are "
    "application/problem+json. Auth: `Authorization: Bearer <api key>`."
)


def build_resources(settings: Settings) -> Resources:
    if not settings.database_url or not settings.redis_url:
        raise RuntimeError("FTJOBS_DATABASE_URL and FTJOBS_REDIS_URL must be set")
    engine = create_engine(settings.database_url)
    redis = connect(settings.redis_url)
    return Resources(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        redis=redis,
        wakeups=WakeUps(
            redis, queue_name=settings.queue_name, job_timeout=settings.worker_job_timeout_seconds
        ),
        blobs=BlobStore(settings.blob_root),
    )


def create_app(settings: Settings) -> Litestar:
    async def start(app: Litestar) -> None:
        app.state.resources = build_resources(settings)

    async def stop(app: Litestar) -> None:
        res: Resources | None = app.state.get("resources")
        if res is not None:
            await res.engine.dispose()
            res.redis.close()

    return Litestar(
        route_handlers=[live, ready, DatasetController, JobController],
        dependencies={
            "session": Provide(provide_session),
            "principal": Provide(provide_principal),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[start],
        on_shutdown=[stop],
        state=State({}),
        request_max_body_size=1024 * 1024,
        openapi_config=OpenAPIConfig(
            title="finetune-jobs",
            version="1",
            description=DESCRIPTION,
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
    )
