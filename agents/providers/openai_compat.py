"""OpenAI-compatible chat completions through the official ``openai`` SDK (always streaming).

Serves OpenAI itself and every API that copies it by base URL: Moonshot/Kimi, MiniMax, and
local servers such as Ollama or vLLM.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx2
import openai

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

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Local servers (Ollama, vLLM) take no key, but the SDK refuses to start without one, and
# without an explicit value it would read OPENAI_API_KEY from the environment and send it on.
NO_KEY = "no-key"


class OpenAICompatAdapter(Adapter):
    def __init__(
        self, config: ProviderConfig, *, max_tokens_field: str = "max_tokens", **options: Any
    ) -> None:
        super().__init__(config, **options)
        if max_tokens_field not in ("max_tokens", "max_completion_tokens"):
            raise ValueError("max_tokens_field must be max_tokens or max_completion_tokens")
        self.max_tokens_field = max_tokens_field
        self._client: openai.OpenAI | None = None
        self._client_lock = threading.Lock()

    def _sdk(self) -> openai.OpenAI:
        with self._client_lock:
            if self._client is None:
                self._client = openai.OpenAI(
                    api_key=self.config.api_key or NO_KEY,
                    base_url=self.config.base_url or DEFAULT_BASE_URL,
                    max_retries=0,  # retries are ours (retry.py), counted against rate windows
                    timeout=httpx2.Timeout(300.0, connect=self.connect_timeout),
                    # A redirect would re-send the key and the prompt to another origin.
                    http_client=openai.DefaultHttpxClient(follow_redirects=False),
                )
            return self._client

    def close(self) -> None:
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _open(self, request: CompletionRequest, remaining: float) -> OpenedStream:
        messages: list[dict[str, str]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.append({"role": "user", "content": request.prompt})
        stream = self._sdk().chat.completions.create(
            model=request.model,
            messages=messages,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
            # The engine enforces the deadline itself; the slack keeps the SDK's timer second.
            timeout=httpx2.Timeout(remaining + 1.0, connect=min(self.connect_timeout, remaining)),
            **{self.max_tokens_field: request.max_tokens},
        )
        return OpenedStream(
            events=self._events(stream),
            close=stream.close,
            socket=response_socket(stream.response),
        )

    @staticmethod
    def _events(stream: Any) -> Iterator[StreamEvent]:
        finish_reason: str | None = None
        for chunk in stream:
            usage = getattr(chunk, "usage", None)
            if usage is not None:
                # Sent once, in the last chunk (choices empty), when include_usage is honoured.
                yield UsageReport(
                    input_tokens=usage.prompt_tokens, output_tokens=usage.completion_tokens
                )
            for choice in chunk.choices or ():
                if choice.index != 0:
                    continue
                if choice.delta is not None and choice.delta.content:
                    yield TextDelta(choice.delta.content)
                if choice.finish_reason:
                    finish_reason = choice.finish_reason
        # `data: [DONE]` (or the end of the body): complete only if a choice said why it ended.
        if finish_reason is not None:
            yield Finish(finish_reason)

    def _map_error(self, error: BaseException) -> ProviderError | None:
        provider = self.config.provider
        if isinstance(error, openai.APIStatusError):
            body = error.body if isinstance(error.body, dict) else {}
            return error_for_status(
                error.status_code,
                str(body.get("message") or error.message),
                headers=error.response.headers,
                error_type=body.get("type"),
                provider=provider,
            )
        if isinstance(error, openai.APITimeoutError):
            return ProviderTransientError(
                "the provider timed out", code="timeout", provider=provider
            )
        if isinstance(error, openai.APIConnectionError):
            return ProviderTransientError(
                f"connection to the provider failed: {error.message}",
                code="connection_error",
                provider=provider,
            )
        if isinstance(error, openai.APIResponseValidationError):
            return ProviderPermanentError(
                f"malformed reply: {error.message}", code="malformed_reply", provider=provider
            )
        if isinstance(error, openai.APIError):
            # An error object inside a 200 stream (`data: {"error": {...}}`).
            body = error.body if isinstance(error.body, dict) else {}
            return error_for_status(
                200, error.message, error_type=body.get("type"), provider=provider
            )
        return transport_error(error, provider=provider)
