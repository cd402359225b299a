"""The adapter interface and the streaming engine every adapter shares.

Standard library only (no Django import): the Django layer wraps this package.

An adapter's ``run()`` always streams. The HTTP request and the reading of the stream happen
on a short-lived background thread that feeds normalised events into a queue; the calling
thread consumes that queue and is the only one that calls ``on_progress`` and ``cancel``
(so a ``cancel`` that reads the database stays on the caller's connection). The calling thread
therefore notices a cancel or the deadline even when the provider sends nothing, and stops
the stream by shutting down the response's socket, which ends the blocked read at once.
"""

from __future__ import annotations

import contextlib
import math
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .errors import ProviderError, ProviderTransientError, malformed_reply_error
from .stream import OpenedStream, StreamEvent, StreamTally, TextDelta, UsageReport
from .values import CompletionRequest, CompletionResult, ProviderConfig

ProgressCallback = Callable[[int, str], None]
CancelCheck = Callable[[], bool]
Outcome = Literal["done", "failed", "cancelled", "timeout"]


class _Line:
    """The link between the calling thread and the pump thread of one run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.aborted = False
        self.socket: socket.socket | None = None

    def attach(self, sock: socket.socket | None) -> bool:
        with self.lock:
            if self.aborted:
                return False
            self.socket = sock
            return True

    def detach(self) -> None:
        with self.lock:
            self.socket = None

    def abort(self) -> bool:
        """Stop the stream; returns whether a live socket was shut down."""
        with self.lock:
            self.aborted = True
            sock, self.socket = self.socket, None
        if sock is None:
            return False
        with contextlib.suppress(OSError):
            # The plain-socket shutdown (not SSLSocket.shutdown, which drops its TLS state under
            # the reading thread's feet); it wakes the blocked read with end-of-file at once.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        return True


@dataclass(frozen=True)
class _End:
    pass


@dataclass(frozen=True)
class _Failure:
    error: BaseException


_Item = StreamEvent | _End | _Failure


class Adapter:
    """Runs one completion as a stream. Subclasses implement ``_open`` and ``_map_error``."""

    simulated = False

    def __init__(
        self,
        config: ProviderConfig,
        *,
        progress_interval: float = 0.25,
        cancel_interval: float = 0.25,
        connect_timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.progress_interval = progress_interval
        self.cancel_interval = cancel_interval
        self.connect_timeout = connect_timeout
        self.clock = clock

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self.config.provider!r})"

    # -- subclass hooks -------------------------------------------------------------

    def _open(self, request: CompletionRequest, remaining: float) -> OpenedStream:
        """Send the request (``remaining`` seconds left) and return its open stream."""
        raise NotImplementedError

    def _map_error(self, error: BaseException) -> ProviderError | None:
        """Translate an SDK/transport exception; ``None`` means it is not a provider error."""
        return None

    def close(self) -> None:
        """Release pooled connections (the adapter stays usable)."""

    # -- the engine -----------------------------------------------------------------

    def run(
        self,
        request: CompletionRequest,
        *,
        on_progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
    ) -> CompletionResult:
        """Stream one completion.

        ``on_progress(output_tokens_so_far, text_so_far)`` is called on this thread at most
        every ``progress_interval`` seconds while text arrives, and once at the end.
        ``cancel()`` is polled on this thread at most every ``cancel_interval`` seconds; when it
        returns true the stream is closed and a ``cancelled`` result with the usage so far is
        returned. At ``request.timeout`` seconds the stream is closed and a ``timed_out``
        result is returned. Provider failures raise ``ProviderError``.
        """
        tally = StreamTally(request)
        if cancel is not None and cancel():
            return self._result(tally, cancelled=True)

        start = self.clock()
        deadline = start + request.timeout
        events: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        line = _Line()
        pump = threading.Thread(
            target=self._pump,
            args=(request, deadline, events, line),
            name=f"provider-stream-{self.config.provider}",
            daemon=True,
        )
        tally.sent = True
        pump.start()

        outcome: Outcome | None = None
        failure: BaseException | None = None
        try:
            outcome, failure = self._consume(events, tally, start, deadline, on_progress, cancel)
        finally:
            if outcome not in ("done", "failed"):
                had_socket = line.abort()
                pump.join(timeout=2.0 if had_socket else 0.05)
                self._drain(events, tally)
        return self._conclude(tally, outcome, failure, deadline, on_progress)

    def _consume(
        self,
        events: queue.SimpleQueue[_Item],
        tally: StreamTally,
        start: float,
        deadline: float,
        on_progress: ProgressCallback | None,
        cancel: CancelCheck | None,
    ) -> tuple[Outcome, BaseException | None]:
        """Take the pump's events until the stream ends or fails, a cancel, or the deadline."""
        clock = self.clock
        last_progress = -math.inf
        next_cancel_check = start + self.cancel_interval
        while True:
            now = clock()
            if now >= deadline:
                return "timeout", None
            if cancel is not None and now >= next_cancel_check:
                next_cancel_check = now + self.cancel_interval
                if cancel():
                    return "cancelled", None
            wait = deadline - now
            if cancel is not None:
                wait = min(wait, max(0.0, next_cancel_check - now))
            try:
                item = events.get(timeout=max(wait, 0.001))
            except queue.Empty:
                continue
            if isinstance(item, _End):
                return "done", None
            if isinstance(item, _Failure):
                return "failed", item.error
            if tally.apply(item) and on_progress is not None:
                now = clock()
                if now - last_progress >= self.progress_interval:
                    last_progress = now
                    on_progress(tally.output_tokens(), tally.text)

    def _conclude(
        self,
        tally: StreamTally,
        outcome: Outcome,
        failure: BaseException | None,
        deadline: float,
        on_progress: ProgressCallback | None,
    ) -> CompletionResult:
        """The result of a run that stopped with ``outcome``, or the error it ended with."""
        if outcome == "failed":
            assert failure is not None
            if self.clock() >= deadline - 0.05 and self._is_timeout(failure):
                outcome = "timeout"
            else:
                raise self._provider_error(failure, tally) from failure
        if outcome == "done" and not tally.finished:
            raise self._incomplete_error(tally)
        if on_progress is not None:
            on_progress(tally.output_tokens(), tally.text)
        return self._result(tally, cancelled=outcome == "cancelled", timed_out=outcome == "timeout")

    def _pump(
        self,
        request: CompletionRequest,
        deadline: float,
        events: queue.SimpleQueue[_Item],
        line: _Line,
    ) -> None:
        opened: OpenedStream | None = None
        try:
            opened = self._open(request, max(0.001, deadline - self.clock()))
            if not line.attach(opened.socket):
                return
            for event in opened.events:
                if line.aborted:
                    return
                events.put(event)
            events.put(_End())
        except Exception as exc:  # handed to the calling thread, which maps it
            if not line.aborted:
                events.put(_Failure(exc))
        finally:
            line.detach()
            if opened is not None:
                with contextlib.suppress(Exception):
                    opened.close()

    @staticmethod
    def _drain(events: queue.SimpleQueue[_Item], tally: StreamTally) -> None:
        """Count what had arrived before the stream was stopped."""
        while True:
            try:
                item = events.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, TextDelta | UsageReport):
                tally.apply(item)

    def _mapped(self, error: BaseException) -> ProviderError | None:
        return error if isinstance(error, ProviderError) else self._map_error(error)

    def _is_timeout(self, error: BaseException) -> bool:
        mapped = self._mapped(error)
        return mapped is not None and mapped.code == "timeout"

    def _provider_error(self, error: BaseException, tally: StreamTally) -> BaseException:
        mapped = self._mapped(error)
        if mapped is None and isinstance(error, ValueError):
            # JSON that does not parse, or data that does not fit the wire schema.
            mapped = malformed_reply_error(error, self.config.provider)
        if mapped is None:
            return error
        if mapped.provider is None:
            mapped.provider = self.config.provider
        if tally.anything_received():
            mapped.usage, mapped.usage_estimated = tally.usage()
        return mapped

    def _incomplete_error(self, tally: StreamTally) -> ProviderError:
        """A stream that ended without saying it was complete."""
        if not tally.anything_received():
            return malformed_reply_error("the stream carried no events", self.config.provider)
        usage, estimated = tally.usage()
        return ProviderTransientError(
            "the stream ended before the reply was complete",
            code="stream_truncated",
            provider=self.config.provider,
            usage=usage,
            usage_estimated=estimated,
        )

    def _result(
        self, tally: StreamTally, *, cancelled: bool = False, timed_out: bool = False
    ) -> CompletionResult:
        usage, estimated = tally.usage()
        reason = tally.finish_reason
        if cancelled:
            reason = "cancelled"
        elif timed_out:
            reason = "timeout"
        return CompletionResult(
            text=tally.text,
            usage=usage,
            finish_reason=reason,
            simulated=self.simulated,
            cancelled=cancelled,
            timed_out=timed_out,
            usage_estimated=estimated,
            sent=tally.sent,
        )
