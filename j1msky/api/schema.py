"""OpenAPI: the public schema and docs views, and drf-spectacular hooks."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.renderers import JSONRenderer

from j1msky.api.permissions import PUBLIC


def only_versioned_paths(endpoints):
    """`/api/` and `/api/v1/` serve the same views; the schema documents the `/api/v1/` copy."""
    return [e for e in endpoints if e[0].startswith("/api/v1/")]


# No NUL character: the body parser refuses one in any string (PostgreSQL cannot store it).
NO_NUL = r"^[^\u0000]*$"


def _no_nul(schema):
    if isinstance(schema, list):
        for item in schema:
            _no_nul(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"enum", "format", "pattern"} & schema.keys():
        schema["pattern"] = NO_NUL
    for value in schema.values():
        if isinstance(value, dict | list):
            _no_nul(value)


def strings_without_nul(result, generator, request, public):
    """Every free-text string of a request body says it takes no NUL character."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _no_nul(component)
    return result


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
