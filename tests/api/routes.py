"""The app's route table, for tests that must hold on every route: a route added later is
covered without touching them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from litestar import Litestar
from litestar.enums import RequestEncodingType
from litestar.params import BodyKwarg, QueryParameter
from litestar.routes import HTTPRoute

_PATH_PARAM = re.compile(r"\{(\w+):\w+\}")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str  # as declared: /v1/jobs/{job_id:str}
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    json_body: bool

    def url(self, **values: str) -> str:
        """The path with each parameter replaced by its value in `values` (default: "x")."""
        return _PATH_PARAM.sub(lambda m: values.get(m.group(1), "x"), self.template)


def http_routes(app: Litestar) -> list[HTTPRoute]:
    return [route for route in app.routes if isinstance(route, HTTPRoute)]


def operations(app: Litestar) -> list[Operation]:
    """Every method of every path, OPTIONS (Litestar's own) aside."""
    found = []
    for route in http_routes(app):
        for handler in route.route_handlers:
            fields = handler.parsed_fn_signature.parameters
            query = tuple(
                n for n, f in fields.items() if isinstance(f.kwarg_definition, QueryParameter)
            )
            data = fields.get("data")
            json_body = data is not None and _is_json(data.kwarg_definition)
            found += [
                Operation(method, route.path, tuple(route.path_parameters), query, json_body)
                for method in sorted(handler.http_methods - {"OPTIONS"})
            ]
    return found


def _is_json(definition: object) -> bool:
    return isinstance(definition, BodyKwarg) and definition.media_type == RequestEncodingType.JSON
