"""OpenAI-compatible chat completions through the official ``openai`` SDK (always streaming).

Serves OpenAI itself and every API that copies it by base URL: Moonshot/Kimi, MiniMax, and
local servers such as Ollama or vLLM.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai

from .sdk import ErrorReply, SDKAdapter
from .stream import Finish, StreamEvent, TextDelta, UsageReport
from .values import CompletionRequest, ProviderConfig

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Local servers (Ollama, vLLM) take no key, but the SDK refuses to start without one, and
# without an explicit value it would read OPENAI_API_KEY from the environment and send it on.
NO_KEY = "no-key"


class OpenAICompatAdapter(SDKAdapter):
    sdk = openai
    client_class = openai.OpenAI
    default_base_url = DEFAULT_BASE_URL

    def __init__(
        self, config: ProviderConfig, *, max_tokens_field: str = "max_tokens", **options: Any
    ) -> None:
        super().__init__(config, **options)
        if max_tokens_field not in ("max_tokens", "max_completion_tokens"):
            raise ValueError("max_tokens_field must be max_tokens or max_completion_tokens")
        self.max_tokens_field = max_tokens_field

    def _api_key(self) -> str:
        return self.config.api_key or NO_KEY

    def _create_stream(self, client: Any, request: CompletionRequest, timeout: Any) -> Any:
        messages: list[dict[str, str]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.append({"role": "user", "content": request.prompt})
        return client.chat.completions.create(
            model=request.model,
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            timeout=timeout,
            **{self.max_tokens_field: request.max_tokens},
        )

    def _events(self, stream: Any) -> Iterator[StreamEvent]:
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

    def _error_reply(self, error: Any) -> ErrorReply:
        body = error.body if isinstance(error.body, dict) else {}
        if isinstance(error, openai.APIStatusError):
            return error.status_code, str(body.get("message") or error.message), body.get("type")
        # A plain APIError: an error object inside a 200 stream (`data: {"error": {...}}`).
        return 200, error.message, body.get("type")
