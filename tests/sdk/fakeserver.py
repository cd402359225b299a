"""A scripted HTTP server on 127.0.0.1 standing in for J1MSKY, for the client's own tests.

Each route answers from its script: a list of replies given in order, the last one repeating;
a reply may be a function of the request. Every request is recorded exactly as received (raw
path with its query, headers, body bytes), so a test sees what the client really sent.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    raw_path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def path(self) -> str:
        return urlsplit(self.raw_path).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.raw_path).query, True).items()}

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def envelope(status: int, error_type: str, message: str, **extra: Any) -> Reply:
    """An error answer in the server's envelope (semantics §2)."""
    error = {"code": status, "type": error_type, "message": message, "request_id": "req_fake1"}
    error.update(extra)
    headers = {"X-Request-Id": "req_fake1"}
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return Reply(status, {"success": False, "error": error}, headers)


def signature_ok(seen: Seen, secret: str) -> bool:
    """Checks X-Signature the way the server will (semantics §12.4), on the bytes received."""
    stamp = seen.headers.get("x-timestamp", "")
    message = f"{stamp}\n{seen.method}\n{seen.raw_path}\n".encode() + seen.body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, seen.headers.get("x-signature", ""))


ReplySource = Reply | Callable[[Seen], Reply]


class FakeApi:
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self._scripts: dict[tuple[str, str], list[ReplySource]] = {}
        self._lock = threading.Lock()
        self.url = ""

    def on(self, method: str, path: str, *replies: ReplySource) -> FakeApi:
        """Script a route (`path` without query, e.g. `/api/spawn`)."""
        self._scripts[(method.upper(), path)] = list(replies)
        return self

    def json(self, method: str, path: str, body: Any, status: int = 200) -> FakeApi:
        return self.on(method, path, Reply(status, body))

    def seen(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (path is None or r.path == path)
        ]

    def answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            script = self._scripts.get((seen.method, seen.path))
            if not script:
                return envelope(404, "not_found", "Not found")
            source = script.pop(0) if len(script) > 1 else script[0]
        return source(seen) if callable(source) else source


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = api.answer(Seen(self.command, self.path, headers, body))
            if isinstance(reply.body, str):
                payload, kind = reply.body.encode(), "text/plain; charset=utf-8"
            else:
                payload = b"" if reply.body is None else json.dumps(reply.body).encode()
                kind = "application/json"
            self.send_response(reply.status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Request-Id", reply.headers.get("X-Request-Id", "req_fakeok"))
            for name, value in reply.headers.items():
                if name != "X-Request-Id":
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextlib.contextmanager
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
