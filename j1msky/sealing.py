"""Content sealed at rest (semantics §12.6; DESIGN invariant 7): the model fields, and the codec
they seal with.

The platform sits below the security app, which holds the cipher and the data keys
(`security.crypto`), so the security app registers them here from its AppConfig
(`content_codec_register`): the event outbox, the agents' task and result and the audit
details all seal through the same codec without importing the layer above.

With `J1MSKY_ENCRYPT_CONTENT` on (the default) a value is written sealed; with it off, in clear.
Either way a stored value is read back whichever way it was written, so turning the switch,
rotating the key and re-sealing old rows (`manage.py data_reencrypt`) never lose data. A clear
value that happens to look sealed is sealed anyway, so what looks sealed always is.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from j1msky.json import DecimalJSONEncoder


@dataclass(frozen=True)
class ContentCodec:
    seal: Callable[[str], str]
    open: Callable[[str], str]
    looks_sealed: Callable[[str], bool]


_codec: ContentCodec | None = None
_forced: contextvars.ContextVar[bool | None] = contextvars.ContextVar(
    "content_sealed", default=None
)


def content_codec_register(codec: ContentCodec) -> None:
    global _codec
    _codec = codec


def content_sealing_enabled() -> bool:
    forced = _forced.get()
    return settings.J1MSKY_ENCRYPT_CONTENT if forced is None else forced


@contextmanager
def content_sealing(enabled: bool) -> Iterator[None]:
    """Write content sealed (True) or in clear (False) inside the block, whatever the setting
    says: the data migrations and `data_reencrypt --clear` use it."""
    token = _forced.set(enabled)
    try:
        yield
    finally:
        _forced.reset(token)


def _codec_get() -> ContentCodec:
    if _codec is None:
        raise ImproperlyConfigured("no content codec registered (is the security app installed?)")
    return _codec


def content_seal(text: str) -> str:
    """`text` as it is stored: sealed when sealing is on, or when it would look sealed."""
    codec = _codec_get()
    if content_sealing_enabled() or codec.looks_sealed(text):
        return codec.seal(text)
    return text


def content_open(stored: str) -> str:
    """A stored value in clear, whichever way it was written."""
    codec = _codec_get()
    return codec.open(stored) if codec.looks_sealed(stored) else stored


def content_is_sealed(stored: str) -> bool:
    return _codec_get().looks_sealed(stored)


class ContentTextField(models.TextField):
    """Text that is content (a task, a result): sealed at rest while sealing is on.

    A sealed value differs on every save and cannot be searched: while sealing is on, the only
    lookup it serves is `isnull`; with it off, the usual text lookups (over rows written in clear).
    """

    description = "Text sealed at rest while J1MSKY_ENCRYPT_CONTENT is on"

    def get_prep_value(self, value: object) -> str | None:
        value = super().get_prep_value(value)
        return None if value is None else content_seal(value)

    def from_db_value(self, value: str | None, expression: object, connection: object):
        return None if value is None else content_open(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull" or not content_sealing_enabled():
            return super().get_lookup(lookup_name)
        return None


class ContentJSONField(models.TextField):
    """A JSON value that carries content (event data, team steps, audit details), stored as
    text: sealed while sealing is on, JSON in clear otherwise. Serves no lookup but `isnull`."""

    description = "JSON sealed at rest while J1MSKY_ENCRYPT_CONTENT is on"

    def get_prep_value(self, value: object) -> str | None:
        if value is None:
            return None
        return content_seal(json.dumps(value, cls=DecimalJSONEncoder, separators=(",", ":")))

    def from_db_value(self, value: str | None, expression: object, connection: object):
        return None if value is None else json.loads(content_open(value))

    def to_python(self, value: object) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), cls=DecimalJSONEncoder)

    def get_lookup(self, lookup_name: str) -> Any:
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def formfield(self, **kwargs: Any) -> forms.Field:
        return forms.JSONField(encoder=DecimalJSONEncoder, **kwargs)


def content_fields(model: type[models.Model]) -> list[str]:
    """The names of `model`'s content fields."""
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, ContentTextField | ContentJSONField)
    ]


def content_rows_reseal(
    model: type[models.Model], *, names: list[str] | None = None, batch: int = 500
) -> int:
    """Write every row's content fields (or the fields `names`) again: as the current setting,
    or `content_sealing`, says, under the current data key; returns how many rows were written.
    Rows are read and written by primary key in batches, so a large table never sits in memory
    at once."""
    names = content_fields(model) if names is None else names
    if not names:
        return 0
    written = 0
    last = None
    while True:
        rows = model._default_manager.order_by("pk")
        if last is not None:
            rows = rows.filter(pk__gt=last)
        chunk = list(rows.values_list("pk", *names)[:batch])
        if not chunk:
            return written
        for pk, *values in chunk:
            model._default_manager.filter(pk=pk).update(**dict(zip(names, values, strict=True)))
        written += len(chunk)
        last = chunk[-1][0]


def content_reseal_operation(app_label: str, model_name: str):
    """A migration step that writes a model's existing content again: sealed going forward (as
    `J1MSKY_ENCRYPT_CONTENT` says), in clear going back (so the field can turn back into a
    plain text or JSON column)."""
    from django.db import migrations

    def forward(apps, schema_editor) -> None:
        content_rows_reseal(apps.get_model(app_label, model_name))

    def backward(apps, schema_editor) -> None:
        with content_sealing(False):
            content_rows_reseal(apps.get_model(app_label, model_name))

    return migrations.RunPython(forward, backward, elidable=False)
