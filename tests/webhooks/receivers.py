"""Real webhook receivers on loopback addresses, each served from a thread.

`http_receiver` is an `http.server` that records every request; `tcp_listener` accepts raw TCP
connections, counts them and hands each to a behaviour (hang, drip, close).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class Receiver:
    host: str
    port: int
    requests: list[Received] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)  # TLS SNI seen


Respond = Callable[[BaseHTTPRequestHandler], None]


def respond_ok(handler: BaseHTTPRequestHandler) -> None:
    _send(handler, 200, b'{"ok": true}')


def respond_with(status: int, body: bytes = b"", **headers: str) -> Respond:
    def respond(handler: BaseHTTPRequestHandler) -> None:
        _send(handler, status, body, headers)

    return respond


def _send(handler, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


@contextlib.contextmanager
def http_receiver(
    respond: Respond = respond_ok,
    *,
    host: str = "127.0.0.1",
    tls: ssl.SSLContext | None = None,
) -> Iterator[Receiver]:
    """An HTTP(S) server on `host`; yields a Receiver whose `requests` fill as they arrive."""
    receiver = Receiver(host=host, port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver.requests.append(Received(self.command, self.path, headers, body))
            respond(self)

        do_GET = do_POST

        def log_message(self, format: str, *args: object) -> None:
            pass

    server_class = _Server6 if ":" in host else _Server
    server = server_class((host, 0), Handler)
    if tls is not None:
        tls.sni_callback = lambda sock, name, ctx: receiver.server_names.append(name)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Listener:
    host: str
    port: int
    connections: int = 0


Behaviour = Callable[[socket.socket, threading.Event], None]


def behaviour_close(conn: socket.socket, stop: threading.Event) -> None:
    conn.close()


def behaviour_hang(conn: socket.socket, stop: threading.Event) -> None:
    """Accept the request and never answer."""
    stop.wait(30)
    conn.close()


def behaviour_drip(conn: socket.socket, stop: threading.Event) -> None:
    """Read the request, then answer one header byte every 0.1 s, forever."""
    conn.settimeout(5)
    with contextlib.suppress(OSError):
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not stop.wait(0.1):
            conn.sendall(b"a")
    conn.close()


@contextlib.contextmanager
def tcp_listener(
    behaviour: Behaviour = behaviour_close, *, host: str = "127.0.0.1"
) -> Iterator[Listener]:
    """A TCP listener on `host` that counts the connections it accepts."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.bind((host, 0))
    sock.listen(16)
    sock.settimeout(0.05)
    listener = Listener(host=host, port=sock.getsockname()[1])
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            listener.connections += 1
            worker = threading.Thread(target=behaviour, args=(conn, stop), daemon=True)
            worker.start()
            workers.append(worker)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        time.sleep(0.1)  # a connection already in the backlog is still counted
        stop.set()
        thread.join(timeout=5)
        sock.close()
        for worker in workers:
            worker.join(timeout=5)
