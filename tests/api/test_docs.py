"""Swagger UI works on a network that reaches nothing but the service: the page names no other
host, and every asset it loads is served by the API itself."""

from __future__ import annotations

import re

from tests.api.conftest import Client

# A URL with a host: scheme-relative (//host) or absolute.
EXTERNAL = re.compile(r"(?:[a-z][a-z0-9+.-]*:)?//[\w.-]+", re.IGNORECASE)
ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


def swagger_page(client: Client) -> str:
    response = client.get("/schema/swagger")
    assert response.status_code == 200
    return response.text


def test_the_swagger_page_names_no_other_host(client: Client) -> None:
    assert EXTERNAL.findall(swagger_page(client)) == []


def test_every_asset_of_the_swagger_page_is_served(client: Client) -> None:
    assets = ASSET.findall(swagger_page(client))
    assert {asset.rsplit("/", 1)[-1] for asset in assets} >= {
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-ui.css",
    }
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.content, asset


def test_swagger_assets_are_not_in_the_openapi_document(client: Client) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/schema")]
