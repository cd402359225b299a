"""Request fields the agents' bodies share."""

import json

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from j1msky.api.parsers import BadText, json_loads


@extend_schema_field({"type": "object", "description": "A JSON object of at most 4 KB."})
class JSONObjectField(serializers.JSONField):
    """A small JSON object; in a form body it arrives as a JSON string."""

    default_error_messages = {"not_object": "Must be a JSON object", "too_big": "At most 4 KB"}

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json_loads(data)
            except BadText as exc:
                raise serializers.ValidationError(str(exc)) from None
            except ValueError:
                self.fail("not_object")
        if not isinstance(data, dict):
            self.fail("not_object")
        if len(json.dumps(data)) > 4096:
            self.fail("too_big")
        return data
