"""The console, added to the API's app (service.server): its routes under /console, its templates
and its static files, its own error pages, and its session store on start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Litestar, Router, get
from litestar.config.app import AppConfig
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.di import Provide
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from service.api.middleware import Edge
from service.api.ratelimit import RateLimiter
from service.config import Settings
from service.console import formatting
from service.console.auth import provide_viewer
from service.console.datasets import DatasetPages
from service.console.errors import EXCEPTION_HANDLERS
from service.console.jobs import JobPages
from service.console.ops import ops_page
from service.console.pipelines import PipelinePages
from service.console.sessions import SessionStore
from service.console.signin import SignInController

HERE = Path(__file__).parent
STATIC = "/console/static"

# Every asset is this service's own ('self'): no CDN, no inline script; the chart is SVG markup.
SECURITY_HEADERS = [
    ResponseHeader(
        name="Content-Security-Policy",
        value="default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
]


@get("/console", include_in_schema=False)
async def console_home() -> Redirect:
    return Redirect("/console/jobs", status_code=303)


class ConsolePlugin(InitPluginProtocol):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers += [console_router(), static_router()]
        app_config.template_config = TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(template_environment())
        )
        app_config.on_startup.append(self.start)
        return app_config

    async def start(self, app: Litestar) -> None:
        """After the API's own start-up (the edge's Redis client is there by then)."""
        edge: Edge = app.state.edge
        app.state.console_sessions = SessionStore(edge.redis, self.settings.console_session_seconds)
        # Sign-in attempts per client address, in every API process together (Redis's token
        # bucket, as the API's per-key limit): a person mistyping is never held up, a
        # key-guessing loop is.
        per_minute = self.settings.console_signins_per_minute
        app.state.console_signins = RateLimiter(
            edge.redis, per_minute=per_minute, burst=signin_burst(per_minute)
        )


def signin_burst(per_minute: int) -> int:
    return max(1, per_minute // 2)


def console_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            console_home,
            SignInController,
            JobPages,
            DatasetPages,
            PipelinePages,
            ops_page,
        ],
        dependencies={"viewer": Provide(provide_viewer)},
        exception_handlers=EXCEPTION_HANDLERS,
        response_headers=SECURITY_HEADERS,
        # Pages show one team's data: no shared cache may keep them.
        cache_control=CacheControlHeader(no_store=True),
        include_in_schema=False,
    )


def static_router() -> Router:
    return create_static_files_router(
        path=STATIC,
        directories=[HERE / "static"],
        name="console-static",
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=3600),
    )


def template_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,  # a misspelt name fails the page (and its test), not blank
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters: dict[str, Any] = {
        "count": formatting.count,
        "byte_size": formatting.byte_size,
        "duration": formatting.duration,
        "timestamp": formatting.timestamp,
        "iso": formatting.iso,
        "percent": formatting.percent,
        "metric": formatting.metric,
        "value": formatting.value,
        "elapsed": formatting.elapsed,
    }
    environment.filters.update(filters)
    return environment
