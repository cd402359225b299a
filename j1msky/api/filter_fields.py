"""The form fields behind the list filters, each as strict as the schema says
(`j1msky.api.filter_schema`): dates and times in one layout, bounded finite numbers, `true` or
`false`."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import django_filters
from django import forms
from django.core.exceptions import ValidationError

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
RFC3339 = re.compile(
    r"(?P<time>[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?P<fraction>\.[0-9]+)?(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})"
)


class UtcDateTimeField(forms.DateTimeField):
    """A date (midnight UTC) or an RFC 3339 date and time, with its offset, as UTC; nothing
    else (a time without an offset is ambiguous). One that UTC cannot hold (before year 1 or
    after 9999 once the offset is applied, e.g. `9999-12-31T23:59:59-05:00`) is invalid, not a
    database error."""

    default_error_messages = {
        "invalid": "Enter a date (2026-02-01) or a date and time with its offset "
        "(2026-02-01T09:30:00Z)",
        "out_of_range": "Date and time out of range: must fall between years 1 and 9999 in UTC",
    }

    def to_python(self, value):
        if isinstance(value, str) and value and not ISO_DATE.fullmatch(value):
            found = RFC3339.fullmatch(value)
            if not found:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            # Microseconds are the finest a time is kept to.
            fraction = (found["fraction"] or "")[:7]
            value = f"{found['time']}{fraction}{found['offset']}".upper()
        result = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise ValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from None


class IsoDateField(forms.DateField):
    """A date as `YYYY-MM-DD` only."""

    def to_python(self, value):
        if isinstance(value, str) and value and not ISO_DATE.fullmatch(value):
            raise ValidationError("Enter a date as YYYY-MM-DD", code="invalid")
        return super().to_python(value)


class DateFilter(django_filters.DateFilter):
    field_class = IsoDateField


class DateTimeFilter(django_filters.DateTimeFilter):
    """The datetime filter for every list (`created_after`, `created_at_gt`, …)."""

    field_class = UtcDateTimeField


NUMBER_SIZE = (Decimal("1e-50"), Decimal("1e50"))


class BoundedDecimalField(forms.DecimalField):
    """A number every backend can compare a column with: PostgreSQL's numeric refuses one whose
    exponent is far out of range (`1e-99999`), so 0 or a size between 1e-50 and 1e50 (the
    schema says the same)."""

    default_error_messages = {
        "out_of_range": "Enter 0 or a number whose size is between 1e-50 and 1e50."
    }

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and not value.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if value is not None and value != 0 and not NUMBER_SIZE[0] <= abs(value) <= NUMBER_SIZE[1]:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return value


class NumberFilter(django_filters.NumberFilter):
    field_class = BoundedDecimalField


class StrictBooleanField(forms.NullBooleanField):
    """`true` or `false`, nothing else (not `1`, `yes` or `on`): what the schema says."""

    widget = forms.TextInput  # the default select widget maps anything else to "no filter"

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "false"):
            return value == "true"
        raise ValidationError("Enter true or false.", code="invalid")

    def validate(self, value):
        pass


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField
