"""JSON for stored and emitted data: Decimals as JSON numbers, read back exactly."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


class DecimalJSONEncoder(DjangoJSONEncoder):
    """Decimals as JSON numbers (money renders as numbers, DESIGN invariant 1). A 2- or 4-dp
    amount has few enough digits that the float's shortest text is the decimal's own text, so
    nothing is computed in float; datetimes as ISO 8601, as Django's encoder writes them."""

    def default(self, o):
        if isinstance(o, Decimal):
            return float(o)
        return super().default(o)


class DecimalJSONDecoder(json.JSONDecoder):
    """Reads JSON numbers with a fraction back as Decimal."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("parse_float", Decimal)
        super().__init__(*args, **kwargs)


def jsonable(data: Any) -> Any:
    """`data` as plain JSON values (Decimals → numbers, datetimes → ISO strings)."""
    return json.loads(json.dumps(data, cls=DecimalJSONEncoder))
