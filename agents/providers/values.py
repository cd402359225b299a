"""The values a provider call is made of: which provider, what to ask, what came back."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

AdapterKind = Literal["anthropic", "openai", "simulated"]
ADAPTER_KINDS: tuple[str, ...] = ("anthropic", "openai", "simulated")


@dataclass(frozen=True)
class ProviderConfig:
    """One provider account: which adapter speaks to it, where, and with which key."""

    provider: str
    kind: AdapterKind
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in ADAPTER_KINDS:
            raise ValueError(f"unknown adapter kind {self.kind!r}; expected one of {ADAPTER_KINDS}")
        if not self.provider:
            raise ValueError("provider id must not be empty")


@dataclass(frozen=True)
class CompletionRequest:
    """One provider call. ``timeout`` is the overall deadline in seconds, stream included."""

    model: str
    prompt: str
    system: str | None = None
    max_tokens: int = 4096
    timeout: float = 300.0

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        if not self.timeout > 0:
            raise ValueError("timeout must be positive")


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class CompletionResult:
    """What a call produced. ``usage_estimated`` is true when any count is an estimate
    (⌈chars / 4⌉) because the provider had not reported it when the stream ended. ``sent`` is
    false when the call ended (cancelled) before its request went out: no call to record."""

    text: str
    usage: Usage
    finish_reason: str | None
    simulated: bool = False
    cancelled: bool = False
    timed_out: bool = False
    usage_estimated: bool = False
    sent: bool = True


def estimate_tokens(text: str) -> int:
    """The spec's estimate: ⌈characters / 4⌉."""
    return math.ceil(len(text) / 4)


def estimate_input_tokens(request: CompletionRequest) -> int:
    return estimate_tokens(request.prompt) + estimate_tokens(request.system or "")
