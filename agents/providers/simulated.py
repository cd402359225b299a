"""The built-in ``simulated`` backend: deterministic, no network, labelled on every result.

A provider without an API key runs here, so a demo is never mistaken for a real call: the
text starts with ``[simulated]`` and every result has ``simulated=True``. It streams through
the same engine as the real adapters, so cancel, deadline and progress behave the same.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from .adapter import Adapter
from .stream import Finish, OpenedStream, StreamEvent, TextDelta, UsageReport
from .values import CompletionRequest, ProviderConfig, estimate_input_tokens, estimate_tokens

_TOKEN = re.compile(r"\S+\s*|\s+")


def simulated_text(request: CompletionRequest) -> str:
    """The reply the simulated backend gives: a fixed, clearly labelled text."""
    task = " ".join(request.prompt.split())
    if len(task) > 200:
        task = task[:197] + "..."
    return (
        f"[simulated] {request.model} did not run: this is the built-in simulated backend, "
        f"and no provider was called. Task received: {task}"
    )


class SimulatedAdapter(Adapter):
    simulated = True

    def __init__(
        self,
        config: ProviderConfig | None = None,
        *,
        token_delay: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        **options: Any,
    ) -> None:
        super().__init__(
            config or ProviderConfig(provider="simulated", kind="simulated"), **options
        )
        self.token_delay = token_delay
        self.sleep = sleep

    def _open(self, request: CompletionRequest, remaining: float) -> OpenedStream:
        events = self._events(request)
        return OpenedStream(events=events, close=events.close)

    def _events(self, request: CompletionRequest) -> Iterator[StreamEvent]:
        text = simulated_text(request)
        finish = "stop"
        if estimate_tokens(text) > request.max_tokens:
            text, finish = text[: request.max_tokens * 4], "length"
        yield UsageReport(input_tokens=estimate_input_tokens(request))
        for token in _TOKEN.findall(text):
            if self.token_delay > 0:
                self.sleep(self.token_delay)
            yield TextDelta(token)
        yield UsageReport(output_tokens=estimate_tokens(text))
        yield Finish(finish)
