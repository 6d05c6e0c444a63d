"""`OPTIONS` on every path answers `Allow` with exactly the methods the path serves."""

from __future__ import annotations

from tests.api.conftest import Client, Keys, auth
from tests.api.routes import http_routes, operations

PROBED = ("GET", "POST", "PUT", "PATCH", "DELETE")


def test_options_allows_exactly_what_each_path_serves(client: Client) -> None:
    served: dict[str, set[str]] = {}
    for op in operations(client.app):
        served.setdefault(op.url(), {"OPTIONS"}).add(op.method)
    wrong = {}
    for url, methods in served.items():
        response = client.options(url)
        allow = {m.strip() for m in response.headers.get("allow", "").split(",")}
        if response.status_code != 204 or allow != methods:
            wrong[url] = (response.status_code, response.headers.get("allow"), sorted(methods))
    assert len(served) == len(http_routes(client.app)) and wrong == {}


def test_what_allow_leaves_out_is_405(client: Client, keys: Keys) -> None:
    """The other direction, from the outside: a method the answer does not list is refused
    by the router, one it lists is not (whatever the handler then says)."""
    wrong = []
    for route in http_routes(client.app):
        url = route.path_format.replace("{", "").replace("}", "")
        allow = client.options(url).headers.get("allow", "")
        for method in PROBED:
            status = client.request(method, url, headers=auth(keys.team_a)).status_code
            if (status == 405) == (method in allow):
                wrong.append(f"{method} {url}: {status}, Allow: {allow}")
    assert wrong == []
