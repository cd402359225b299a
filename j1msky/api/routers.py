"""The router every app's API uses: no trailing slash, path converters.

The reference names some collections in the plural and their items in the singular
(`GET /agents`, `GET /agent/{id}`): a viewset says so with `detail_prefix`.
"""

from __future__ import annotations

from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    def __init__(self) -> None:
        super().__init__(trailing_slash="", use_regex_path=False)

    def get_routes(self, viewset):
        routes = super().get_routes(viewset)
        detail_prefix = getattr(viewset, "detail_prefix", None)
        if detail_prefix is None:
            return routes
        return [
            route._replace(url=route.url.replace("{prefix}", detail_prefix))
            if route.detail
            else route
            for route in routes
        ]
