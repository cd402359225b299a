"""Anthropic Messages API through the official ``anthropic`` SDK (always streaming)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import anthropic as anthropic_sdk
import httpx2

from .base import (
    Adapter,
    CompletionRequest,
    Finish,
    OpenedStream,
    ProviderConfig,
    ProviderError,
    ProviderPermanentError,
    ProviderTransientError,
    StreamEvent,
    TextDelta,
    UsageReport,
    error_for_status,
    response_socket,
    transport_error,
)

DEFAULT_BASE_URL = "https://api.anthropic.com"

# Anthropic stop reasons, normalised to the vocabulary the OpenAI adapter uses too.
STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
}


def _total_input(usage: Any) -> int | None:
    """Anthropic counts cache writes and reads apart from ``input_tokens``; the total is the sum."""
    base = getattr(usage, "input_tokens", None)
    if base is None:
        return None
    cached = (getattr(usage, "cache_creation_input_tokens", None) or 0) + (
        getattr(usage, "cache_read_input_tokens", None) or 0
    )
    return base + cached


class AnthropicAdapter(Adapter):
    def __init__(self, config: ProviderConfig, **options: Any) -> None:
        super().__init__(config, **options)
        if not config.api_key:
            raise ValueError(f"provider {config.provider!r} needs an API key")
        self._client: anthropic_sdk.Anthropic | None = None
        self._client_lock = threading.Lock()

    def _sdk(self) -> anthropic_sdk.Anthropic:
        with self._client_lock:
            if self._client is None:
                self._client = anthropic_sdk.Anthropic(
                    api_key=self.config.api_key,
                    # Always explicit, so ANTHROPIC_BASE_URL in the environment cannot redirect us.
                    base_url=self.config.base_url or DEFAULT_BASE_URL,
                    max_retries=0,  # retries are ours (retry.py), counted against rate windows
                    timeout=httpx2.Timeout(300.0, connect=self.connect_timeout),
                    # A redirect would re-send the key and the prompt to another origin.
                    http_client=anthropic_sdk.DefaultHttpxClient(follow_redirects=False),
                )
            return self._client

    def close(self) -> None:
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _open(self, request: CompletionRequest, remaining: float) -> OpenedStream:
        extra: dict[str, Any] = {}
        if request.system:
            extra["system"] = request.system
        stream = self._sdk().messages.create(
            model=request.model,
            max_tokens=request.max_tokens,
            messages=[{"role": "user", "content": request.prompt}],
            stream=True,
            # The engine enforces the deadline itself; the slack keeps the SDK's timer second.
            timeout=httpx2.Timeout(remaining + 1.0, connect=min(self.connect_timeout, remaining)),
            **extra,
        )
        return OpenedStream(
            events=self._events(stream),
            close=stream.close,
            socket=response_socket(stream.response),
        )

    @staticmethod
    def _events(stream: Any) -> Iterator[StreamEvent]:
        stop_reason: str | None = None
        for event in stream:
            kind = getattr(event, "type", None)
            if kind == "message_start":
                yield UsageReport(input_tokens=_total_input(event.message.usage))
            elif kind == "content_block_delta":
                if event.delta.type == "text_delta":
                    yield TextDelta(event.delta.text)
            elif kind == "message_delta":
                stop_reason = event.delta.stop_reason or stop_reason
                # message_delta's counts are cumulative: output_tokens is the final figure.
                yield UsageReport(
                    input_tokens=_total_input(event.usage),
                    output_tokens=event.usage.output_tokens,
                )
            elif kind == "message_stop":
                yield Finish(STOP_REASONS.get(stop_reason or "", stop_reason))
                return

    def _map_error(self, error: BaseException) -> ProviderError | None:
        provider = self.config.provider
        if isinstance(error, anthropic_sdk.APIStatusError):
            # Covers RateLimitError (429), OverloadedError (529), InternalServerError, ... and
            # an in-stream `event: error` (raised with the stream's 200 response).
            return error_for_status(
                error.status_code,
                error.api_message or error.message,
                headers=error.response.headers,
                error_type=error.type,
                provider=provider,
            )
        if isinstance(error, anthropic_sdk.APITimeoutError):
            return ProviderTransientError(
                "the provider timed out", code="timeout", provider=provider
            )
        if isinstance(error, anthropic_sdk.APIConnectionError):
            return ProviderTransientError(
                f"connection to the provider failed: {error.message}",
                code="connection_error",
                provider=provider,
            )
        if isinstance(error, anthropic_sdk.APIResponseValidationError):
            return ProviderPermanentError(
                f"malformed reply: {error.message}", code="malformed_reply", provider=provider
            )
        return transport_error(error, provider=provider)
