"""The project's OpenAPI schema class (DEFAULT_SCHEMA_CLASS), in a module of its own: the
schema views import the setting, so it must not import them."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import get_doc


class AutoSchema(SpectacularAutoSchema):
    """An operation's description is what its own view or handler says, never a docstring
    inherited from a base class written for the code's readers."""

    def get_description(self) -> str:
        name = getattr(self.view, "action", None) or self.method.lower()
        handler = getattr(self.view, name, None)
        own = self.view.__class__.__dict__.get("__doc__")
        return get_doc(handler) or (get_doc(self.view.__class__) if own else "")
