"""Base views: every API view derives from these, which adds Idempotency-Key handling.

Scope, rate class and idempotency are declared, not coded, per view:
`required_scope` (see permissions.py) and `rate_class` (see ratelimit.py).
"""

from __future__ import annotations

from django.db import transaction
from rest_framework import generics
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from j1msky.idempotency import (
    Replay,
    fingerprint,
    idempotency_claim,
    idempotency_complete,
    idempotency_release,
)

IDEMPOTENT_METHODS = frozenset({"POST", "PUT", "DELETE"})


class IdempotencyMixin:
    """Runs a write with an Idempotency-Key at most once per (owner, method, path, key)."""

    def dispatch(self, request, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.initial(request, *args, **kwargs)
            key = request.headers.get("Idempotency-Key")
            if key is not None and request.method in IDEMPOTENT_METHODS and request.auth:
                response = self._run_once(request, key, *args, **kwargs)
            else:
                response = self._handler(request)(request, *args, **kwargs)
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
            owner=request.user, method=request.method, path=request.path, key=key, fp=fp
        )
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        response = self._handler(request)(request, *args, **kwargs)
                except Exception as exc:
                    response = self.handle_exception(exc)
                if response.status_code >= 500:
                    idempotency_release(claim=claim)
                    return response
                body = JSONRenderer().render(getattr(response, "data", None))
                headers = {"Content-Type": "application/json"}
                if response.has_header("Location"):
                    headers["Location"] = response["Location"]
                idempotency_complete(
                    claim=claim, status=response.status_code, body=body, headers=headers
                )
                return response
        except Exception:
            idempotency_release(claim=claim)
            raise


class ApiView(IdempotencyMixin, APIView):
    pass


class ListApiView(IdempotencyMixin, generics.ListAPIView):
    pass


class ListCreateApiView(IdempotencyMixin, generics.ListCreateAPIView):
    pass


class RetrieveDestroyApiView(IdempotencyMixin, generics.RetrieveDestroyAPIView):
    pass


class GenericApiView(IdempotencyMixin, generics.GenericAPIView):
    pass
