"""The part both SDK adapters share (agents/providers/sdk.py): their client and the mapping of
SDK exceptions, run for real against the fake provider server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agents.providers import (
    CompletionRequest,
    ProviderConfig,
    ProviderPermanentError,
    ProviderTransientError,
    adapter_for,
)
from tests.fakeprovider import FakeProviderServer, status, stream_error

WIRES = ["anthropic", "openai"]
MODEL = {"anthropic": "claude-sonnet-4-6", "openai": "kimi-k2.5"}


def base_url(server: FakeProviderServer, kind: str) -> str:
    return server.anthropic_base_url if kind == "anthropic" else server.openai_base_url


def run(kind: str, url: str):
    adapter = adapter_for(ProviderConfig("a-provider", kind, url, "sk-test"))  # type: ignore[arg-type]
    try:
        return adapter.run(CompletionRequest(model=MODEL[kind], prompt="hello", timeout=10.0))
    finally:
        adapter.close()


@pytest.mark.parametrize("kind", WIRES)
def test_an_error_reply_keeps_the_providers_message_and_headers(fake_provider, kind):
    fake_provider.enqueue(status(500, message="upstream busy", headers={"x-should-retry": "false"}))

    with pytest.raises(ProviderPermanentError) as caught:
        run(kind, base_url(fake_provider, kind))

    assert caught.value.message == "upstream busy"
    assert (caught.value.status, caught.value.code) == (500, "server_error")
    assert caught.value.provider == "a-provider"


@pytest.mark.parametrize("kind", WIRES)
def test_an_error_inside_the_stream_has_no_http_status(fake_provider, kind):
    fake_provider.enqueue(stream_error("overloaded_error"))

    with pytest.raises(ProviderTransientError) as caught:
        run(kind, base_url(fake_provider, kind))

    assert caught.value.message == "Overloaded"
    assert caught.value.status is None


class _Redirector(BaseHTTPRequestHandler):
    target = ""

    def do_POST(self) -> None:
        self.send_response(307)
        self.send_header("Location", self.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def redirector(fake_provider) -> Iterator[str]:
    """A server on 127.0.0.1 that answers every POST with a 307 to the fake provider."""
    _Redirector.target = fake_provider.base_url
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("kind", WIRES)
def test_a_redirect_is_not_followed(fake_provider, redirector, kind):
    with pytest.raises(ProviderPermanentError) as caught:
        run(kind, redirector + ("/v1" if kind == "openai" else ""))

    assert (caught.value.status, caught.value.code) == (307, "client_error")
    assert fake_provider.requests == []  # the key and the prompt went nowhere else
