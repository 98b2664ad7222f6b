"""A tiny scripted HTTP server on 127.0.0.1 for transport and provider unit tests.

Each test queues answers per (method, path); the server records every request it reads. Answers can be
delayed, streamed in pieces, cut short or dropped without a reply, which is what the retry rules are about.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Reply:
    status: int = 200
    json: object = None
    body: bytes | None = None
    headers: dict = field(default_factory=dict)
    #: seconds to wait before answering
    delay: float = 0.0
    #: close the connection without any answer
    drop: bool = False
    #: announce this many more bytes than are sent, then close (a body cut short)
    short: int = 0
    #: send the body in these pieces with `gap` seconds between them, then close (no Content-Length)
    chunks: list[bytes] | None = None
    gap: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _any(self):
        srv: LoopbackServer = self.server.owner  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        parts = urlsplit(self.path)
        srv.seen.append(
            Seen(self.command, parts.path, parts.query, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        reply = srv.next_reply(self.command, parts.path)
        if callable(reply):
            reply = reply(srv.seen[-1])
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        data = (
            reply.body
            if reply.body is not None
            else (json.dumps(reply.json).encode() if reply.json is not None else b"")
        )
        self.send_response(reply.status)
        headers = dict(reply.headers)
        if reply.json is not None:
            headers.setdefault("Content-Type", "application/json")
        for k, v in headers.items():
            self.send_header(k, v)
        if reply.chunks is not None:
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            for piece in reply.chunks:
                self.wfile.write(piece)
                self.wfile.flush()
                if reply.gap:
                    time.sleep(reply.gap)
            return
        self.send_header("Content-Length", str(len(data) + reply.short))
        self.end_headers()
        self.wfile.write(data)
        if reply.short:
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    def _read_chunked(self) -> bytes:
        out = b""
        while True:
            size = int(self.rfile.readline().strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return out
            out += self.rfile.read(size)
            self.rfile.readline()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # clients hanging up early is what tests do
        pass


class LoopbackServer:
    def __init__(self, host: str = "127.0.0.1", tls=None):
        self._httpd = QuietServer((host, 0), _Handler)
        if tls is not None:  # an ssl.SSLContext with the server's certificate
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.daemon_threads = True
        self._httpd.owner = self  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        self.base = f"{'https' if tls else 'http'}://{host}:{self.port}"
        self.routes: dict[tuple[str, str], deque] = defaultdict(deque)
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def add(self, method: str, path: str, *replies) -> None:
        """Queue answers; the last one repeats for any further request."""
        with self._lock:
            self.routes[(method.upper(), path)].extend(replies)

    def next_reply(self, method: str, path: str):
        with self._lock:
            q = self.routes.get((method, path))
            if not q:
                return Reply(404, json={"error": f"no route {method} {path}"})
            return q.popleft() if len(q) > 1 else q[0]

    def requests(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        return [
            s
            for s in self.seen
            if (method is None or s.method == method) and (path is None or s.path == path)
        ]


def free_port() -> int:
    """A port nothing listens on (bound and released), for connection-refused tests."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
