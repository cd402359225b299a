"""What the adapters over the official SDKs (``anthropic``, ``openai``) share.

Both SDKs come from one generator, so they take the same client options (``max_retries``,
``timeout``, ``http_client=<sdk>.DefaultHttpxClient(...)``), hand back streams with the same
``response`` and ``close()``, and raise the same exception classes (``APIStatusError`` with
``status_code`` and ``response.headers``, ``APIConnectionError``, ``APITimeoutError``,
``APIResponseValidationError``). The client, its stream and the mapping of those exceptions are
written once here; an adapter names its SDK and client class, sends the request, reads the
stream's events and says how to read the message and type of an error reply.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any, ClassVar

import httpx2

from .adapter import Adapter
from .errors import (
    ProviderError,
    connection_error,
    error_for_status,
    malformed_reply_error,
    timeout_error,
)
from .stream import OpenedStream, StreamEvent
from .values import CompletionRequest, ProviderConfig

# (HTTP status, message, error type) of an error reply; status 200 for an error in a stream.
ErrorReply = tuple[int, str, str | None]


def response_socket(response: Any) -> socket.socket | None:
    """The socket under an httpx/httpx2 streaming response, when the transport exposes it."""
    try:
        network_stream = response.extensions.get("network_stream")
        sock = network_stream.get_extra_info("socket") if network_stream is not None else None
    except Exception:  # best effort: without it, an abort waits for the read to end
        return None
    return sock if isinstance(sock, socket.socket) else None


def transport_error(error: BaseException, *, provider: str | None = None) -> ProviderError | None:
    """Classify a transport failure raised outside the SDK's own wrapping (mid-stream reads)."""
    if isinstance(error, httpx2.TimeoutException):
        return timeout_error(provider)
    if isinstance(error, httpx2.TransportError | ConnectionError | ssl.SSLError):
        return connection_error(error, provider)
    return None


class SDKAdapter(Adapter):
    """An adapter that speaks through an official SDK client, built on first use."""

    sdk: ClassVar[ModuleType]
    client_class: ClassVar[type]
    default_base_url: ClassVar[str]

    def __init__(self, config: ProviderConfig, **options: Any) -> None:
        super().__init__(config, **options)
        self._client: Any = None
        self._client_lock = threading.Lock()

    # -- what each SDK adapter says ---------------------------------------------------

    def _api_key(self) -> str | None:
        return self.config.api_key

    def _create_stream(self, client: Any, request: CompletionRequest, timeout: Any) -> Any:
        """Send ``request`` through ``client`` with ``stream=True``; the SDK's stream."""
        raise NotImplementedError

    def _events(self, stream: Any) -> Iterator[StreamEvent]:
        """The SDK stream's items as stream events."""
        raise NotImplementedError

    def _error_reply(self, error: Any) -> ErrorReply | None:
        """Status, message and type of an SDK ``APIError`` that carries an error reply."""
        raise NotImplementedError

    # -- shared -----------------------------------------------------------------------

    def _sdk(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = self.client_class(
                    api_key=self._api_key(),
                    # Always explicit, so a base URL set in the environment cannot redirect us.
                    base_url=self.config.base_url or self.default_base_url,
                    max_retries=0,  # retries are ours (retry.py), counted against rate windows
                    timeout=httpx2.Timeout(300.0, connect=self.connect_timeout),
                    # A redirect would re-send the key and the prompt to another origin.
                    http_client=self.sdk.DefaultHttpxClient(follow_redirects=False),
                )
            return self._client

    def close(self) -> None:
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _open(self, request: CompletionRequest, remaining: float) -> OpenedStream:
        # The engine enforces the deadline itself; the slack keeps the SDK's timer second.
        timeout = httpx2.Timeout(remaining + 1.0, connect=min(self.connect_timeout, remaining))
        stream = self._create_stream(self._sdk(), request, timeout)
        return OpenedStream(
            events=self._events(stream),
            close=stream.close,
            socket=response_socket(stream.response),
        )

    def _map_error(self, error: BaseException) -> ProviderError | None:
        sdk, provider = self.sdk, self.config.provider
        if isinstance(error, sdk.APITimeoutError):
            return timeout_error(provider)
        if isinstance(error, sdk.APIConnectionError):
            return connection_error(error.message, provider)
        if isinstance(error, sdk.APIResponseValidationError):
            return malformed_reply_error(error.message, provider)
        reply = self._error_reply(error) if isinstance(error, sdk.APIError) else None
        if reply is None:
            return transport_error(error, provider=provider)
        status, message, error_type = reply
        headers = error.response.headers if isinstance(error, sdk.APIStatusError) else None
        return error_for_status(
            status, message, headers=headers, error_type=error_type, provider=provider
        )
