"""The few events every adapter turns its SDK's stream into, the open stream, and the tally
of what a run has received."""

from __future__ import annotations

import math
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .values import CompletionRequest, Usage, estimate_input_tokens


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class UsageReport:
    """Counts the provider reported; ``None`` leaves a count as it was."""

    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True)
class Finish:
    """The stream ended properly; ``reason`` is normalised (stop, length, ...)."""

    reason: str | None


StreamEvent = TextDelta | UsageReport | Finish


@dataclass
class OpenedStream:
    """An open provider stream: its events, how to close it, and its socket when known."""

    events: Iterator[StreamEvent]
    close: Callable[[], None]
    socket: socket.socket | None = None


class StreamTally:
    """Text and token counts seen so far in one run; ``sent`` once the request went out."""

    def __init__(self, request: CompletionRequest) -> None:
        self.request = request
        self.parts: list[str] = []
        self.chars = 0
        self.input_reported: int | None = None
        self.output_reported: int | None = None
        self.finish_reason: str | None = None
        self.finished = False
        self.events = 0
        self.sent = False

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def apply(self, event: StreamEvent) -> bool:
        """Apply one event; returns whether the text grew."""
        self.events += 1
        if isinstance(event, TextDelta):
            if event.text:
                self.parts.append(event.text)
                self.chars += len(event.text)
                return True
            return False
        if isinstance(event, UsageReport):
            if event.input_tokens is not None:
                self.input_reported = event.input_tokens
            if event.output_tokens is not None:
                self.output_reported = event.output_tokens
            return False
        self.finished = True
        self.finish_reason = event.reason
        return False

    def output_tokens(self) -> int:
        if self.output_reported is not None:
            return self.output_reported
        return math.ceil(self.chars / 4)

    def usage(self) -> tuple[Usage, bool]:
        if not self.sent:
            return Usage(0, 0), False
        estimated = self.input_reported is None or self.output_reported is None
        input_tokens = (
            self.input_reported
            if self.input_reported is not None
            else estimate_input_tokens(self.request)
        )
        return Usage(input_tokens, self.output_tokens()), estimated

    def anything_received(self) -> bool:
        return self.events > 0
