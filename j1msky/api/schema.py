"""OpenAPI: the public schema and docs views, and drf-spectacular hooks."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from j1msky.api.permissions import PUBLIC


def only_versioned_paths(endpoints):
    """`/api/` and `/api/v1/` serve the same views; the schema documents the `/api/v1/` copy."""
    return [e for e in endpoints if e[0].startswith("/api/v1/")]


class SchemaView(SpectacularAPIView):
    required_scope = PUBLIC


class DocsView(SpectacularSwaggerView):
    required_scope = PUBLIC
