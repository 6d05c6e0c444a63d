"""The Litestar application: routes, dependencies, error rendering, OpenAPI at /schema."""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.di import Provide
from litestar.enums import HttpMethod
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components
from litestar.plugins import InitPluginProtocol
from litestar.types import ControllerRouterHandler

from service.api.auth import provide_caller
from service.api.datasets import DatasetController
from service.api.deps import Resources, provide_after_commit, provide_session
from service.api.docs import swagger_assets, swagger_page
from service.api.health import live, ready
from service.api.inputs import CheckedRequest, check_parameters
from service.api.job_results import JobResultsController
from service.api.jobs import JobController
from service.api.metrics import METRICS_SECURITY, METRICS_SECURITY_SCHEME, metrics
from service.api.middleware import RequestContextMiddleware, new_http_metrics, start_edge, stop_edge
from service.api.openai_webhooks import openai_webhook
from service.api.openapi import ClosedStructSchemaPlugin, document_problems
from service.api.ops import stats
from service.api.pipelines import PipelineController
from service.api.problems import EXCEPTION_HANDLERS
from service.api.providers import ProviderController
from service.api.sse import stream_events
from service.api.webhooks import WebhookDeliveryController, WebhookEndpointController
from service.blobstore import BlobStore
from service.config import Settings
from service.datasets.validation import Validation
from service.db.engine import create_engine, session_factory
from service.db.reader import Reader
from service.providers.factory import catalogue
from service.queue import WakeUps, connect

DESCRIPTION = (
    "Fine-tune models on preference data. Upload DPO (or SFT) datasets, validated line by line; "
    "create OpenAI fine-tuning jobs; follow every state and event. Errors are "
    "application/problem+json. Auth: `Authorization: Bearer <api key>`."
)

# The read path serves every key lookup and job read; as many connections as the ORM's pool.
READ_POOL_SIZE = 20


async def build_resources(settings: Settings, clock: Callable[[], datetime]) -> Resources:
    if not settings.database_url or not settings.redis_url:
        raise RuntimeError("FTJOBS_DATABASE_URL and FTJOBS_REDIS_URL must be set")
    engine = create_engine(settings.database_url)
    reader = await Reader.connect(settings.database_url, max_size=READ_POOL_SIZE)
    redis = connect(settings.redis_url)
    return Resources(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        redis=redis,
        wakeups=WakeUps(
            redis,
            queue_name=settings.queue_name,
            job_timeout=settings.worker_job_timeout_seconds,
            waiting_ttl=max(1, int(settings.lease_seconds)),
        ),
        blobs=BlobStore(settings.blob_root),
        reader=reader,
        catalogue=catalogue(settings),
        # Its processes start with the first upload that needs them, and stop at shutdown.
        validation=Validation.from_settings(settings),
        clock=clock,
    )


ROUTES: list[ControllerRouterHandler] = [
    live,
    ready,
    DatasetController,
    JobController,
    JobResultsController,
    ProviderController,
    openai_webhook,
    PipelineController,
    WebhookEndpointController,
    WebhookDeliveryController,
    stats,
    stream_events,
    metrics,
]


async def before_request(request: Request[Any, Any, Any]) -> Response[None] | None:
    """Every route, before its handler (and before authentication): OPTIONS is answered here,
    and NUL characters in path and query parameters are refused (service.api.inputs). Litestar
    runs only the nearest layer's hook: a controller or route with its own must call this one
    (tests/api/test_edge_input.py goes through every route)."""
    if request.method == HttpMethod.OPTIONS:
        return Response(None, status_code=204, headers={"Allow": allow(request)})
    check_parameters(request)
    return None


def allow(request: Request[Any, Any, Any]) -> str:
    """The methods the requested path serves. Litestar's own OPTIONS answer lists those of the
    route as it was when its first handler was registered: a path whose handlers came one by
    one (GET and POST of /v1/jobs) lost the later ones."""
    path = next(iter(request.route_handler.paths))
    return ", ".join(sorted(request.app.route_handler_method_map[path]))


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings,
    clock: Callable[[], datetime] = utc_now,
    *,
    extensions: Sequence[InitPluginProtocol] = (),
) -> Litestar:
    """The app; `clock` tells the day providers' end dates are judged on (tests move it).
    `extensions` add what sits beside the API in the same process and state (the console,
    mounted by service.server), without the API importing them."""
    http_metrics = new_http_metrics()

    async def start(app: Litestar) -> None:
        app.state.resources = res = await build_resources(settings, clock)
        await res.validation.warm()
        await start_edge(app.state, settings, http_metrics)
        # What start-up loaded lives as long as the process: out of the collector's sight, a
        # full collection no longer walks it (it took tens of ms, in the middle of requests).
        gc.collect()
        gc.freeze()

    async def stop(app: Litestar) -> None:
        await stop_edge(app.state)
        res: Resources | None = app.state.get("resources")
        if res is not None:
            await res.validation.close()
            await res.engine.dispose()
            await res.reader.close()
            res.redis.close()

    app = Litestar(
        route_handlers=[*ROUTES, swagger_assets()],
        plugins=[ClosedStructSchemaPlugin(), *extensions],
        dependencies={
            "session": Provide(provide_session),
            "after_commit": Provide(provide_after_commit, sync_to_thread=False),
            "principal": Provide(provide_caller),
        },
        middleware=[DefineMiddleware(RequestContextMiddleware, metrics=http_metrics)],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=before_request,
        request_class=CheckedRequest,
        # Logging is the process's (service.logs): Litestar must not add its own root handler.
        logging_config=None,
        on_startup=[start],
        on_shutdown=[stop],
        state=State({}),
        request_max_body_size=1024 * 1024,
        openapi_config=OpenAPIConfig(
            title="finetune-jobs",
            version="1",
            description=DESCRIPTION,
            path="/schema",
            render_plugins=[swagger_page()],
            components=Components(security_schemes={METRICS_SECURITY: METRICS_SECURITY_SCHEME}),
        ),
    )
    document_problems(app)
    return app
