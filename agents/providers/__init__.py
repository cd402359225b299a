"""Provider adapters: one small interface over Anthropic, OpenAI-compatible APIs and the
built-in simulated backend. No Django import; the agents app wraps this package.

``values`` (config, request, result), ``errors`` (provider errors and their classification),
``stream`` (the events adapters produce), ``adapter`` (the streaming engine), ``sdk`` (what the
two official-SDK adapters share), ``anthropic``, ``openai_compat``, ``simulated``, and ``retry``
(backoff and the circuit breaker's pure transitions).
"""

from __future__ import annotations

from typing import Any

from .adapter import Adapter
from .errors import (
    ProviderError,
    ProviderPermanentError,
    ProviderTransientError,
    parse_retry_after,
)
from .retry import (
    BreakerPolicy,
    BreakerState,
    breaker_acquire,
    breaker_allows,
    breaker_record_failure,
    breaker_record_success,
    breaker_retry_after,
    breaker_status,
    call_with_retries,
)
from .values import (
    CompletionRequest,
    CompletionResult,
    ProviderConfig,
    Usage,
    estimate_input_tokens,
    estimate_tokens,
)

__all__ = [
    "Adapter",
    "BreakerPolicy",
    "BreakerState",
    "CompletionRequest",
    "CompletionResult",
    "ProviderConfig",
    "ProviderError",
    "ProviderPermanentError",
    "ProviderTransientError",
    "Usage",
    "adapter_for",
    "breaker_acquire",
    "breaker_allows",
    "breaker_record_failure",
    "breaker_record_success",
    "breaker_retry_after",
    "breaker_status",
    "call_with_retries",
    "estimate_input_tokens",
    "estimate_tokens",
    "parse_retry_after",
]


def adapter_for(config: ProviderConfig, **options: Any) -> Adapter:
    """The adapter for ``config.kind``; ``options`` go to its constructor (intervals, clock,
    ``token_delay`` for simulated, ``max_tokens_field`` for OpenAI-compatible). SDKs are
    imported only when their adapter is asked for."""
    if config.kind == "anthropic":
        from .anthropic import AnthropicAdapter

        return AnthropicAdapter(config, **options)
    if config.kind == "openai":
        from .openai_compat import OpenAICompatAdapter

        return OpenAICompatAdapter(config, **options)
    if config.kind == "simulated":
        from .simulated import SimulatedAdapter

        return SimulatedAdapter(config, **options)
    raise ValueError(f"unknown adapter kind {config.kind!r}")
