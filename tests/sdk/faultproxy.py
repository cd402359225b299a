"""A proxy on 127.0.0.1 in front of a real J1MSKY server that injects faults into chosen calls.

A fault answers one request with an error instead of the server: `before` the server sees it
(the request is refused, as a 429 is), or `after` (the server handles it and its answer is
lost, as when a connection drops: only an idempotent retry can make that safe). Every request
is recorded with its idempotency key and what the proxy answered.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Fault:
    method: str
    path: str
    when: str  # "before" or "after"
    status: int
    retry_after: int


@dataclass
class Passed:
    method: str
    path: str
    idempotency_key: str | None
    forwarded: bool
    answered: int
    replayed: bool


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults: list[Fault] = []
        self.log: list[Passed] = []
        self.url = ""
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=60)

    def fail(self, method: str, path: str, *, when: str, status: int, retry_after: int) -> None:
        """Queue one fault for the next matching request (`path` without query)."""
        self.faults.append(Fault(method, path, when, status, retry_after))

    def calls(self, method: str, path: str) -> list[Passed]:
        return [p for p in self.log if p.method == method and p.path == path]

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method == method and fault.path == path:
                    self.faults.remove(fault)
                    return fault
        return None

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes):
        path = raw_path.split("?", 1)[0]
        fault = self._take_fault(method, path)
        forwarded, replayed = False, False
        upstream = None
        if fault is None or fault.when == "after":
            forward = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
            upstream = self._client.request(
                method, self.upstream + raw_path, headers=forward, content=body
            )
            forwarded = True
            replayed = upstream.headers.get("idempotency-replayed") == "true"
        if fault is not None:
            error = {
                "success": False,
                "error": {
                    "code": fault.status,
                    "type": "rate_limited" if fault.status == 429 else "service_unavailable",
                    "message": f"injected {fault.status}",
                    "request_id": "req_proxy",
                    "retry_after": fault.retry_after,
                },
            }
            reply = (
                fault.status,
                {"Content-Type": "application/json", "Retry-After": str(fault.retry_after)},
                json.dumps(error).encode(),
            )
        else:
            kept = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
            kept.pop("content-encoding", None)
            reply = (upstream.status_code, kept, upstream.content)
        with self._lock:
            key = headers.get("Idempotency-Key") or headers.get("idempotency-key")
            self.log.append(Passed(method, path, key, forwarded, reply[0], replayed))
        return reply


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = proxy.handle(
                self.command, self.path, dict(self.headers.items()), body
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextlib.contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        proxy._client.close()
