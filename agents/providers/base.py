"""Provider adapter interface and the streaming engine every adapter shares.

Standard library only (no Django import): the Django layer wraps this module.

An adapter's ``run()`` always streams. The HTTP request and the reading of the stream happen
on a short-lived background thread that feeds normalised events into a queue; the calling
thread consumes that queue and is the only one that calls ``on_progress`` and ``cancel``
(so a ``cancel`` that reads the database stays on the caller's connection). The calling thread
therefore notices a cancel or the deadline even when the provider sends nothing, and stops
the stream by shutting down the response's socket, which ends the blocked read at once.
"""

from __future__ import annotations

import contextlib
import email.utils
import math
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

AdapterKind = Literal["anthropic", "openai", "simulated"]
ADAPTER_KINDS: tuple[str, ...] = ("anthropic", "openai", "simulated")

ProgressCallback = Callable[[int, str], None]
CancelCheck = Callable[[], bool]


# --------------------------------------------------------------------------- values


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
    (⌈chars / 4⌉) because the provider had not reported it when the stream ended."""

    text: str
    usage: Usage
    finish_reason: str | None
    simulated: bool = False
    cancelled: bool = False
    timed_out: bool = False
    usage_estimated: bool = False


def estimate_tokens(text: str) -> int:
    """The spec's estimate: ⌈characters / 4⌉."""
    return math.ceil(len(text) / 4)


def estimate_input_tokens(request: CompletionRequest) -> int:
    return estimate_tokens(request.prompt) + estimate_tokens(request.system or "")


# --------------------------------------------------------------------------- errors


class ProviderError(Exception):
    """A provider call failed. ``transient`` says whether retrying may help.

    ``usage`` is what the provider had already used when the call failed mid-stream (to be
    charged), ``None`` when nothing was received. ``attempts`` is set by ``call_with_retries``.
    """

    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str = "provider_error",
        status: int | None = None,
        retry_after: float | None = None,
        provider: str | None = None,
        usage: Usage | None = None,
        usage_estimated: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.retry_after = retry_after
        self.provider = provider
        self.usage = usage
        self.usage_estimated = usage_estimated
        self.attempts = 1

    def __str__(self) -> str:
        where = f"{self.provider}: " if self.provider else ""
        status = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{where}{self.message}{status}"


class ProviderTransientError(ProviderError):
    """429, 5xx, timeouts before any output, dropped connections: retry with backoff."""

    transient = True


class ProviderPermanentError(ProviderError):
    """400/401/403/404 and other client errors, malformed replies: retrying will not help."""

    transient = False


TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})
_TRANSIENT_ERROR_TYPES = frozenset(
    {"overloaded_error", "api_error", "rate_limit_error", "timeout_error", "server_error"}
)
_CODE_BY_STATUS = {
    400: "bad_request",
    401: "authentication_failed",
    402: "payment_required",
    403: "permission_denied",
    404: "not_found",
    408: "timeout",
    413: "request_too_large",
    422: "bad_request",
    429: "rate_limited",
}


def parse_retry_after(
    headers: Mapping[str, str] | Any, *, now: float | None = None
) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        with contextlib.suppress(ValueError):
            return max(0.0, float(millis) / 1000.0)
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def error_for_status(
    status: int,
    message: str,
    *,
    headers: Mapping[str, str] | Any = None,
    error_type: str | None = None,
    provider: str | None = None,
) -> ProviderError:
    """Classify an HTTP error reply (or an in-stream error event, ``status`` 200)."""
    should_retry = (headers.get("x-should-retry") if headers is not None else None) or ""
    if should_retry == "true":
        transient = True
    elif should_retry == "false":
        transient = False
    elif status == 200:  # an error event inside a stream that had started fine
        transient = error_type in _TRANSIENT_ERROR_TYPES
    else:
        transient = status in TRANSIENT_STATUSES or status >= 500
    if status == 200:
        code = "rate_limited" if error_type == "rate_limit_error" else "stream_error"
    else:
        code = _CODE_BY_STATUS.get(status, "server_error" if status >= 500 else "client_error")
    cls = ProviderTransientError if transient else ProviderPermanentError
    return cls(
        message,
        code=code,
        status=None if status == 200 else status,
        retry_after=parse_retry_after(headers),
        provider=provider,
    )


# --------------------------------------------------------------------------- stream events

# Adapters turn their SDK's stream into these few events.


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


def response_socket(response: Any) -> socket.socket | None:
    """The socket under an httpx/httpx2 streaming response, when the transport exposes it."""
    try:
        network_stream = response.extensions.get("network_stream")
        sock = network_stream.get_extra_info("socket") if network_stream is not None else None
    except Exception:  # best effort: without it, an abort waits for the read to end
        return None
    return sock if isinstance(sock, socket.socket) else None


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


class _Tally:
    """Text and token counts seen so far in one run."""

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


# --------------------------------------------------------------------------- adapter


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
        clock = self.clock
        tally = _Tally(request)
        if cancel is not None and cancel():
            return self._result(tally, cancelled=True)

        start = clock()
        deadline = start + request.timeout
        events: queue.SimpleQueue[StreamEvent | _End | _Failure] = queue.SimpleQueue()
        line = _Line()
        pump = threading.Thread(
            target=self._pump,
            args=(request, deadline, events, line),
            name=f"provider-stream-{self.config.provider}",
            daemon=True,
        )
        tally.sent = True
        pump.start()

        outcome: str | None = None
        failure: BaseException | None = None
        last_progress = -math.inf
        next_cancel_check = start + self.cancel_interval
        try:
            while outcome is None:
                now = clock()
                if now >= deadline:
                    outcome = "timeout"
                    break
                if cancel is not None and now >= next_cancel_check:
                    next_cancel_check = now + self.cancel_interval
                    if cancel():
                        outcome = "cancelled"
                        break
                wait = deadline - now
                if cancel is not None:
                    wait = min(wait, max(0.0, next_cancel_check - now))
                try:
                    item = events.get(timeout=max(wait, 0.001))
                except queue.Empty:
                    continue
                if isinstance(item, _End):
                    outcome = "done"
                elif isinstance(item, _Failure):
                    outcome, failure = "failed", item.error
                elif tally.apply(item) and on_progress is not None:
                    now = clock()
                    if now - last_progress >= self.progress_interval:
                        last_progress = now
                        on_progress(tally.output_tokens(), tally.text)
        finally:
            if outcome not in ("done", "failed"):
                had_socket = line.abort()
                pump.join(timeout=2.0 if had_socket else 0.05)
                self._drain(events, tally)

        if outcome == "failed":
            assert failure is not None
            if clock() >= deadline - 0.05 and self._is_timeout(failure):
                outcome = "timeout"
            else:
                raise self._provider_error(failure, tally) from failure

        if outcome == "done" and not tally.finished:
            usage, estimated = tally.usage()
            if not tally.anything_received():
                raise ProviderPermanentError(
                    "malformed reply: the stream carried no events",
                    code="malformed_reply",
                    provider=self.config.provider,
                )
            raise ProviderTransientError(
                "the stream ended before the reply was complete",
                code="stream_truncated",
                provider=self.config.provider,
                usage=usage,
                usage_estimated=estimated,
            )

        if on_progress is not None:
            on_progress(tally.output_tokens(), tally.text)
        return self._result(tally, cancelled=outcome == "cancelled", timed_out=outcome == "timeout")

    def _pump(
        self,
        request: CompletionRequest,
        deadline: float,
        events: queue.SimpleQueue[StreamEvent | _End | _Failure],
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
    def _drain(events: queue.SimpleQueue[StreamEvent | _End | _Failure], tally: _Tally) -> None:
        """Count what had arrived before the stream was stopped."""
        while True:
            try:
                item = events.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, TextDelta | UsageReport):
                tally.apply(item)

    def _is_timeout(self, error: BaseException) -> bool:
        mapped = error if isinstance(error, ProviderError) else self._map_error(error)
        return mapped is not None and mapped.code == "timeout"

    def _provider_error(self, error: BaseException, tally: _Tally) -> BaseException:
        mapped = error if isinstance(error, ProviderError) else self._map_error(error)
        if mapped is None and isinstance(error, ValueError):
            # JSON that does not parse, or data that does not fit the wire schema.
            mapped = ProviderPermanentError(
                f"malformed reply: {error}", code="malformed_reply", provider=self.config.provider
            )
        if mapped is None:
            return error
        if mapped.provider is None:
            mapped.provider = self.config.provider
        if tally.anything_received():
            mapped.usage, mapped.usage_estimated = tally.usage()
        return mapped

    def _result(
        self, tally: _Tally, *, cancelled: bool = False, timed_out: bool = False
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
        )


def transport_error(error: BaseException, *, provider: str | None = None) -> ProviderError | None:
    """Classify a transport failure raised outside the SDK's own wrapping (mid-stream reads)."""
    try:
        import httpx2
    except ImportError:  # pragma: no cover - both SDKs depend on httpx2
        httpx2 = None
    if httpx2 is not None and isinstance(error, httpx2.TimeoutException):
        return ProviderTransientError("the provider timed out", code="timeout", provider=provider)
    if (httpx2 is not None and isinstance(error, httpx2.TransportError)) or isinstance(
        error, ConnectionError | ssl.SSLError
    ):
        return ProviderTransientError(
            f"connection to the provider failed: {error}",
            code="connection_error",
            provider=provider,
        )
    return None
