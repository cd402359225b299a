"""Anthropic Messages API through the official ``anthropic`` SDK (always streaming)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic as anthropic_sdk

from .sdk import ErrorReply, SDKAdapter
from .stream import Finish, StreamEvent, TextDelta, UsageReport
from .values import CompletionRequest, ProviderConfig

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


class AnthropicAdapter(SDKAdapter):
    sdk = anthropic_sdk
    client_class = anthropic_sdk.Anthropic
    default_base_url = DEFAULT_BASE_URL

    def __init__(self, config: ProviderConfig, **options: Any) -> None:
        super().__init__(config, **options)
        if not config.api_key:
            raise ValueError(f"provider {config.provider!r} needs an API key")

    def _create_stream(self, client: Any, request: CompletionRequest, timeout: Any) -> Any:
        extra: dict[str, Any] = {}
        if request.system:
            extra["system"] = request.system
        return client.messages.create(
            model=request.model,
            max_tokens=request.max_tokens,
            messages=[{"role": "user", "content": request.prompt}],
            stream=True,
            timeout=timeout,
            **extra,
        )

    def _events(self, stream: Any) -> Iterator[StreamEvent]:
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

    def _error_reply(self, error: Any) -> ErrorReply | None:
        # APIStatusError covers RateLimitError (429), OverloadedError (529), ... and an
        # in-stream `event: error`, which the SDK raises with the stream's 200 response.
        if isinstance(error, anthropic_sdk.APIStatusError):
            return error.status_code, error.api_message or error.message, error.type
        return None
