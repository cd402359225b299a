"""A fake LLM provider on 127.0.0.1 that speaks the real wire formats, for tests.

- Anthropic Messages: ``POST /v1/messages`` (JSON, or SSE with message_start,
  content_block_start, ping, content_block_delta, content_block_stop, message_delta, message_stop).
- OpenAI chat completions: ``POST /v1/chat/completions`` (JSON, or SSE ``data: {...}`` chunks,
  a final usage chunk when ``stream_options.include_usage`` is set, then ``data: [DONE]``).

Each test scripts what the next requests get (``server.enqueue(ok(...), status(429), ...)``;
an empty queue answers ``ok()``), and reads what arrived in ``server.requests``. Streams are
sent with chunked transfer encoding, one SSE event per chunk; a client that goes away is
noticed (``record.disconnected``) between chunks and while hanging.

Use ``with fake_provider_server() as server:`` or the ``fake_provider`` pytest fixture.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_TEXT = "Hello from the fake provider. This reply arrives in small pieces."

# --------------------------------------------------------------------------- behaviours


@dataclass(frozen=True)
class Behaviour:
    kind: str  # ok | status | malformed | hang | stream_error | reset
    text: str = DEFAULT_TEXT
    input_tokens: int = 12
    output_tokens: int = 9
    chunk_delay: float = 0.0
    chunk_chars: int = 6
    finish_reason: str | None = None  # wire value; default end_turn / stop
    include_usage: bool = True
    drop_after: int | None = None  # close the connection after this many text chunks
    status: int = 200
    retry_after: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    after_headers: bool = False  # hang: send the response head (and message_start) first
    hang_seconds: float = 30.0
    error_type: str = "overloaded_error"


def ok(
    text: str = DEFAULT_TEXT,
    *,
    input_tokens: int = 12,
    output_tokens: int = 9,
    chunk_delay: float = 0.0,
    chunk_chars: int = 6,
    finish_reason: str | None = None,
    include_usage: bool = True,
) -> Behaviour:
    """A normal reply reporting exactly these token counts. ``include_usage=False`` (OpenAI
    wire only) sends no usage chunk, like a local server that ignores ``stream_options``."""
    return Behaviour(
        "ok",
        text=text,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        chunk_delay=chunk_delay,
        chunk_chars=chunk_chars,
        finish_reason=finish_reason,
        include_usage=include_usage,
    )


def slow(
    text: str = DEFAULT_TEXT * 4,
    *,
    chunk_delay: float = 0.1,
    chunk_chars: int = 4,
    input_tokens: int = 12,
    output_tokens: int = 60,
) -> Behaviour:
    """A reply whose chunks come ``chunk_delay`` seconds apart (for cancel and timeout)."""
    return ok(
        text,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        chunk_delay=chunk_delay,
        chunk_chars=chunk_chars,
    )


def status(
    code: int,
    *,
    retry_after: float | str | None = None,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> Behaviour:
    """An HTTP error with the provider's error body; ``retry_after`` in seconds or an HTTP date."""
    return Behaviour(
        "status",
        status=code,
        retry_after=None if retry_after is None else str(retry_after),
        body=message,
        headers=tuple((headers or {}).items()),
    )


def malformed(body: str = "<html>upstream garbage</html>\ndata: {not json\n\n") -> Behaviour:
    """200 with a body that is not the wire format (same content type the client asked for)."""
    return Behaviour("malformed", body=body)


def hang(*, after_headers: bool = False, seconds: float = 30.0) -> Behaviour:
    """Send nothing (or only the response head and first event) until the client leaves."""
    return Behaviour("hang", after_headers=after_headers, hang_seconds=seconds)


def reset() -> Behaviour:
    """Read the request, then reset the connection (a TCP RST) without answering."""
    return Behaviour("reset")


def drop(text: str = DEFAULT_TEXT, *, after_chunks: int = 3, input_tokens: int = 12) -> Behaviour:
    """Start a normal stream, then cut the connection after ``after_chunks`` text chunks."""
    return Behaviour(
        "ok", text=text, input_tokens=input_tokens, drop_after=after_chunks, chunk_chars=4
    )


def stream_error(error_type: str = "overloaded_error", *, after_chunks: int = 1) -> Behaviour:
    """Anthropic: an ``event: error`` inside a 200 stream; OpenAI: a ``data: {"error": ...}``."""
    return Behaviour("stream_error", error_type=error_type, drop_after=after_chunks, chunk_chars=4)


# --------------------------------------------------------------------------- records


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, or None
    raw_body: bytes
    behaviour: Behaviour
    chunks_sent: int = 0
    streaming: threading.Event = field(default_factory=threading.Event)  # head + first event out
    disconnected: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def api_key(self) -> str | None:
        """The credential, from ``x-api-key`` or ``Authorization: Bearer``."""
        if "x-api-key" in self.headers:
            return self.headers["x-api-key"]
        auth = self.headers.get("authorization", "")
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


class _Gone(Exception):
    """The client went away (or the server is stopping)."""


# --------------------------------------------------------------------------- handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 15  # no read on a handler socket blocks for longer
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        fake = self.server.fake
        fake._handler_started()
        try:
            self._serve(fake)
        finally:
            fake._handler_finished()

    def _serve(self, fake: FakeProviderServer) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        behaviour = fake._next_behaviour()
        record = RecordedRequest(
            method="POST",
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            raw_body=raw,
            behaviour=behaviour,
        )
        fake._record(record)
        self.close_connection = True
        try:
            if self.path == "/v1/messages":
                wire: _Wire = _AnthropicWire(self, record)
            elif self.path == "/v1/chat/completions":
                wire = _OpenAIWire(self, record)
            else:
                self._send_json(404, {"error": {"message": f"no route {self.path}"}})
                return
            if fake.api_key is not None and record.api_key != fake.api_key:
                wire.error(status(401, message="invalid x-api-key"))
                return
            wire.serve(behaviour)
        except _Gone:
            if not fake._stopping.is_set():
                record.disconnected.set()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            record.disconnected.set()
        finally:
            record.finished.set()

    # -- writing -------------------------------------------------------------------

    def _send_head(self, code: int, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Connection", "close")
        for name, value in (extra or {}).items():
            self.send_header(name, value)

    def _send_json(self, code: int, payload: Any, extra: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self._send_head(code, "application/json", extra)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _start_stream(self) -> None:
        self._send_head(200, "text/event-stream", {"Cache-Control": "no-cache"})
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _cut(self) -> None:
        """Drop the connection mid-body (the client sees an incomplete chunked body)."""
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    def _pause(self, seconds: float) -> None:
        """Wait, noticing a client that closed its end (EOF) or a server that is stopping."""
        fake = self.server.fake
        end = time.monotonic() + seconds
        while True:
            if fake._stopping.is_set():
                raise _Gone
            left = end - time.monotonic()
            if left <= 0:
                return
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.02))
            if readable:
                try:
                    peeked = self.connection.recv(1, socket.MSG_PEEK)
                except OSError as exc:
                    raise _Gone from exc
                if not peeked:
                    raise _Gone
                time.sleep(min(left, 0.02))


# --------------------------------------------------------------------------- wire formats


def _pieces(text: str, size: int) -> list[str]:
    size = max(1, size)
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class _Wire:
    def __init__(self, handler: _Handler, record: RecordedRequest) -> None:
        self.h = handler
        self.record = record
        body = record.body if isinstance(record.body, dict) else {}
        self.body = body
        self.model = str(body.get("model") or "unknown-model")
        self.streaming = bool(body.get("stream"))

    def serve(self, b: Behaviour) -> None:
        if b.kind == "status":
            self.error(b)
        elif b.kind == "malformed":
            self.h._send_head(200, "text/event-stream" if self.streaming else "application/json")
            data = (b.body or "").encode()
            self.h.send_header("Content-Length", str(len(data)))
            self.h.end_headers()
            self.h.wfile.write(data)
            self.h.wfile.flush()
        elif b.kind == "reset":
            # SO_LINGER 0: closing sends RST at once instead of an orderly FIN.
            self.h.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.h.connection.close()
        elif b.kind == "hang":
            if b.after_headers:
                self.h._start_stream()
                self.h._chunk(self.first_event(b))
                self.record.streaming.set()
            self.h._pause(b.hang_seconds)
        elif self.streaming:
            self.stream(b)
        else:
            self.h._send_json(200, self.message(b))

    def emit_text(self, b: Behaviour) -> bool:
        """Send the text deltas; returns False when the connection was cut on purpose."""
        for index, piece in enumerate(_pieces(b.text, b.chunk_chars)):
            if b.drop_after is not None and index >= b.drop_after:
                if b.kind == "stream_error":
                    self.h._chunk(self.error_event(b))
                    self.h._end_stream()
                else:
                    self.h._cut()
                return False
            if index and b.chunk_delay:
                self.h._pause(b.chunk_delay)
            self.h._chunk(self.delta_event(piece))
            self.record.chunks_sent += 1
        return True

    def error(self, b: Behaviour) -> None:
        extra = dict(b.headers)
        if b.retry_after is not None:
            extra["retry-after"] = b.retry_after
        self.h._send_json(b.status, self.error_body(b.status, b.body), extra)

    # wire-specific
    def message(self, b: Behaviour) -> dict[str, Any]:
        raise NotImplementedError

    def stream(self, b: Behaviour) -> None:
        raise NotImplementedError

    def first_event(self, b: Behaviour) -> bytes:
        raise NotImplementedError

    def delta_event(self, piece: str) -> bytes:
        raise NotImplementedError

    def error_event(self, b: Behaviour) -> bytes:
        raise NotImplementedError

    def error_body(self, code: int, message: str | None) -> dict[str, Any]:
        raise NotImplementedError


def _sse(event: str | None, payload: Any) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data}\n\n".encode()


class _AnthropicWire(_Wire):
    def message(self, b: Behaviour) -> dict[str, Any]:
        return {
            "id": "msg_fake_0001",
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [{"type": "text", "text": b.text}],
            "stop_reason": b.finish_reason or "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": b.input_tokens, "output_tokens": b.output_tokens},
        }

    def first_event(self, b: Behaviour) -> bytes:
        usage = {"input_tokens": b.input_tokens, "output_tokens": 1}
        message = {**self.message(b), "content": [], "stop_reason": None, "usage": usage}
        return _sse("message_start", {"type": "message_start", "message": message})

    def delta_event(self, piece: str) -> bytes:
        delta = {"type": "text_delta", "text": piece}
        return _sse(
            "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
        )

    def error_event(self, b: Behaviour) -> bytes:
        error = {"type": b.error_type, "message": "Overloaded"}
        return _sse("error", {"type": "error", "error": error})

    def error_body(self, code: int, message: str | None) -> dict[str, Any]:
        kind = _ERROR_TYPES.get(code, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message or kind}}

    def stream(self, b: Behaviour) -> None:
        h = self.h
        h._start_stream()
        h._chunk(self.first_event(b))
        block = {"type": "text", "text": ""}
        start = {"type": "content_block_start", "index": 0, "content_block": block}
        h._chunk(_sse("content_block_start", start))
        h._chunk(_sse("ping", {"type": "ping"}))
        if not self.emit_text(b):
            return
        h._chunk(_sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
        delta = {"stop_reason": b.finish_reason or "end_turn", "stop_sequence": None}
        event: dict[str, Any] = {"type": "message_delta", "delta": delta}
        event["usage"] = {"output_tokens": b.output_tokens}
        h._chunk(_sse("message_delta", event))
        h._chunk(_sse("message_stop", {"type": "message_stop"}))
        h._end_stream()


class _OpenAIWire(_Wire):
    created = 1_700_000_000

    def _chunk_obj(self, choices: list[Any], usage: Any = None) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": "chatcmpl-fake0001",
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        }
        if self.include_usage:
            obj["usage"] = usage
        return obj

    @property
    def include_usage(self) -> bool:
        options = self.body.get("stream_options") or {}
        return bool(options.get("include_usage")) and self.record.behaviour.include_usage

    def message(self, b: Behaviour) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake0001",
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": b.text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": b.finish_reason or "stop",
                }
            ],
            "usage": {
                "prompt_tokens": b.input_tokens,
                "completion_tokens": b.output_tokens,
                "total_tokens": b.input_tokens + b.output_tokens,
            },
        }

    def first_event(self, b: Behaviour) -> bytes:
        choice = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
        return _sse(None, self._chunk_obj([choice]))

    def delta_event(self, piece: str) -> bytes:
        choice = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
        return _sse(None, self._chunk_obj([choice]))

    def error_event(self, b: Behaviour) -> bytes:
        return _sse(None, {"error": {"message": "Overloaded", "type": "server_error"}})

    def error_body(self, code: int, message: str | None) -> dict[str, Any]:
        kind = _ERROR_TYPES.get(code, "api_error")
        return {"error": {"message": message or kind, "type": kind, "param": None, "code": kind}}

    def stream(self, b: Behaviour) -> None:
        h = self.h
        h._start_stream()
        h._chunk(self.first_event(b))
        if not self.emit_text(b):
            return
        finish = {"index": 0, "delta": {}, "finish_reason": b.finish_reason or "stop"}
        h._chunk(_sse(None, self._chunk_obj([finish])))
        if self.include_usage:
            usage = {
                "prompt_tokens": b.input_tokens,
                "completion_tokens": b.output_tokens,
                "total_tokens": b.input_tokens + b.output_tokens,
            }
            h._chunk(_sse(None, self._chunk_obj([], usage)))
        h._chunk(b"data: [DONE]\n\n")
        h._end_stream()


# --------------------------------------------------------------------------- server


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a real provider's backlog: bursts of connections are not refused
    fake: FakeProviderServer


class FakeProviderServer:
    """The fake provider. ``start()``/``stop()``, or use ``fake_provider_server()``."""

    def __init__(self, *, api_key: str | None = None) -> None:
        self.api_key = api_key  # when set, other credentials get a 401
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._active = 0
        self._idle = threading.Condition(self._lock)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -----------------------------------------------------------------

    def enqueue(self, *behaviours: Behaviour) -> FakeProviderServer:
        """The next requests get these behaviours, in order; afterwards ``ok()``."""
        with self._lock:
            self._queue.extend(behaviours)
        return self

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def anthropic_base_url(self) -> str:
        return self.base_url  # the SDK adds /v1/messages

    @property
    def openai_base_url(self) -> str:
        return self.base_url + "/v1"  # the SDK adds /chat/completions

    def provider_env(self, *, api_key: str | None = None) -> dict[str, str]:
        """The environment that points every provider at this server, each with a key:
        `api_key` for all of them, or a test key per provider (`sk-kimi-test`, `sk-ant-test`…)."""
        env = {}
        for name in ("KIMI", "MINIMAX", "OPENAI"):
            env[f"J1MSKY_{name}_API_KEY"] = api_key or f"sk-{name.lower()}-test"
            env[f"J1MSKY_{name}_BASE_URL"] = self.openai_base_url
        env["J1MSKY_ANTHROPIC_API_KEY"] = api_key or "sk-ant-test"
        env["J1MSKY_ANTHROPIC_BASE_URL"] = self.anthropic_base_url
        return env

    @property
    def last_request(self) -> RecordedRequest:
        with self._lock:
            return self.requests[-1]

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RecordedRequest]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} requests, got {len(self.requests)}")

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> FakeProviderServer:
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-provider",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, end hanging/slow handlers, and wait for them to finish."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0, timeout)

    # -- handler side --------------------------------------------------------------

    def _next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else ok()

    def _record(self, record: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(record)

    def _handler_started(self) -> None:
        with self._lock:
            self._active += 1

    def _handler_finished(self) -> None:
        with self._idle:
            self._active -= 1
            self._idle.notify_all()


@contextlib.contextmanager
def fake_provider_server(*, api_key: str | None = None) -> Iterator[FakeProviderServer]:
    server = FakeProviderServer(api_key=api_key).start()
    try:
        yield server
    finally:
        server.stop()
