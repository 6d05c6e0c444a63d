"""Swagger UI at /schema/swagger, with its scripts and styles served by this service.

Litestar's default page loads them (and a favicon) from public CDNs, which a locked-down network
cannot reach: the page would be blank there. The assets come from the swagger-ui-bundle-v2
wheel (Swagger UI 5, which renders OpenAPI 3.1 documents such as Litestar's).
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

SWAGGER_ASSETS = "/schema-assets/swagger-ui"
# A path outside /schema: the OpenAPI router answers 404 for any /schema/... it does not serve.


def swagger_assets() -> Router:
    return create_static_files_router(
        path=SWAGGER_ASSETS,
        # A plain directory of the installed wheel (importlib.resources' Traversable).
        directories=[Path(str(swagger_ui_path))],
        include_in_schema=False,
        name="swagger-assets",
    )


def swagger_page() -> SwaggerRenderPlugin:
    return SwaggerRenderPlugin(
        js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
        css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{SWAGGER_ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{SWAGGER_ASSETS}/favicon-32x32.png'>",
    )
