"""OpenAPI: the public schema and docs views, and drf-spectacular hooks."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.renderers import JSONRenderer

from j1msky.api.permissions import PUBLIC


def only_versioned_paths(endpoints):
    """`/api/` and `/api/v1/` serve the same views; the schema documents the `/api/v1/` copy."""
    return [e for e in endpoints if e[0].startswith("/api/v1/")]


class JsonErrorsMixin:
    """Errors in the JSON envelope, whatever the view renders when it succeeds (YAML, HTML)."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    required_scope = PUBLIC


class DocsView(JsonErrorsMixin, SpectacularSwaggerView):
    required_scope = PUBLIC
