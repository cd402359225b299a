"""Base views: every API view derives from these, which adds Idempotency-Key handling.

Resources are ViewSets served by the router (j1msky/api/routers.py); endpoints that are not
resources (spawn, the pricing calculators, status) are `ApiView`s. Scope, rate class and
idempotency are declared, not coded, per view: `required_scope` (see permissions.py) and
`rate_class` (see ratelimit.py), each a value or a dict by action name or HTTP method.
"""

from __future__ import annotations

from contextlib import nullcontext

from django.db import transaction
from rest_framework import mixins, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from j1msky.idempotency import (
    Replay,
    fingerprint,
    idempotency_claim,
    idempotency_complete,
    idempotency_path,
    idempotency_release,
)

IDEMPOTENT_METHODS = frozenset({"POST", "PUT", "DELETE"})


class IdempotencyMixin:
    """Runs a write with an Idempotency-Key at most once per (owner, method, path, key).

    A view may set `idempotency_redact` to fields whose values the stored answer must not keep
    (a new key's secret: a replay shows them as null), and `idempotency_atomic = False` when its
    handler commits its own steps and may wait (cancel): the answer is then stored after it.
    """

    idempotency_redact: tuple[str, ...] = ()
    idempotency_atomic = True

    def dispatch(self, request, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.initial(request, *args, **kwargs)
            key = request.headers.get("Idempotency-Key")
            handler = self._handler(request)
            if (
                key is not None
                and request.method in IDEMPOTENT_METHODS
                and request.auth
                and handler != self.http_method_not_allowed  # a 405 is a 405, key or not
            ):
                response = self._run_once(request, key, *args, **kwargs)
            else:
                response = handler(request, *args, **kwargs)
        except Replay as replay:
            response = replay.response
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def _handler(self, request):
        if request.method.lower() in self.http_method_names:
            return getattr(self, request.method.lower(), self.http_method_not_allowed)
        return self.http_method_not_allowed

    def _run_once(self, request, key: str, *args, **kwargs):
        fp = fingerprint(body=request.data, query=request.META.get("QUERY_STRING", ""))
        claim = idempotency_claim(
            owner=request.user,
            method=request.method,
            path=idempotency_path(request.path),
            key=key,
            fp=fp,
        )
        atomic = transaction.atomic if self.idempotency_atomic else nullcontext
        try:
            with atomic():
                try:
                    with atomic():
                        response = self._handler(request)(request, *args, **kwargs)
                except Exception as exc:
                    response = self.handle_exception(exc)
                if response.status_code >= 500 or response.status_code == 429:
                    # Not an answer to keep: the same key may be sent again later.
                    idempotency_release(claim=claim)
                    return response
                idempotency_complete(
                    claim=claim,
                    status=response.status_code,
                    body=JSONRenderer().render(self._stored_data(response)),
                    headers={
                        "Content-Type": "application/json",
                        **({"Location": response["Location"]} if "Location" in response else {}),
                    },
                )
                return response
        except Exception:
            idempotency_release(claim=claim)
            raise

    def _stored_data(self, response):
        data = getattr(response, "data", None)
        if self.idempotency_redact and isinstance(data, dict):
            data = {k: None if k in self.idempotency_redact else v for k, v in data.items()}
        return data


class ApiView(IdempotencyMixin, APIView):
    """An endpoint that is not a resource (a command, a calculator, a status)."""


class GenericViewSet(IdempotencyMixin, viewsets.GenericViewSet):
    """A resource: the router maps its actions to routes; `@action` adds verbs."""


class ListViewSet(mixins.ListModelMixin, GenericViewSet):
    pass


class ReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    pass
