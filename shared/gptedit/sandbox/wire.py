"""HTTP plumbing shared by the three sandbox listeners: a plain request/response model on top of the
stdlib `http.server`, so the provider modules never touch sockets.

The listeners speak HTTP/1.1 with keep-alive (clients use a pooled `requests.Session`, and a server that
closed after every answer would hide connection-reuse bugs). Streaming answers (SSE) have no
Content-Length and end by closing the connection, which is valid HTTP/1.1 and what `requests` expects."""

from __future__ import annotations

import base64
import json
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: requests bigger than this are refused outright (OpenAI allows 16 images of < 50 MB each)
MAX_BODY = 900 * 1024 * 1024


class BadRequestBody(ValueError):
    """The body could not be parsed as the content type it claims."""


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    #: the client sent `Transfer-Encoding: chunked` instead of a Content-Length
    chunked: bool = False
    connection: socket.socket | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadRequestBody(f"body is not valid JSON: {exc}") from exc

    def client_gone(self) -> bool:
        """True when the client has closed its end (it gave up waiting). Used so a `slow` fault before a
        create does not create a job nobody is waiting for any more."""
        sock = self.connection
        if sock is None:
            return False
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            return sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: when set, the body is produced chunk by chunk (SSE) and the connection closes afterwards
    stream: Iterator[bytes] | None = None
    #: close the socket without sending anything (the `reset` fault)
    abort: bool = False
    #: seconds to wait before answering (the `slow` fault)
    delay: float = 0.0
    #: announce the full Content-Length but send only this many bytes, then close (a cut download)
    cut_at: int | None = None


def json_response(
    status: int, obj: Any, headers: dict[str, str] | None = None, content_type: str = "application/json"
) -> Response:
    body = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    h = {"Content-Type": content_type}
    h.update(headers or {})
    return Response(status, body, h)


def text_response(
    status: int,
    text: str,
    content_type: str = "text/plain; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> Response:
    h = {"Content-Type": content_type}
    h.update(headers or {})
    return Response(status, text.encode("utf-8"), h)


def sse_event(data: Any, event: str | None = None) -> bytes:
    lines = [] if event is None else [f"event: {event}"]
    lines.append("data: " + json.dumps(data, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode("utf-8")


# --- body formats -------------------------------------------------------------------------------------


@dataclass
class FormPart:
    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None


def parse_multipart(content_type_header: str, body: bytes) -> list[FormPart]:
    """A small multipart/form-data reader (the stdlib `cgi` module is gone in Python 3.13 and the
    `email` parser may rewrite line endings inside binary parts)."""
    msg = Message()
    msg["Content-Type"] = content_type_header
    boundary = msg.get_param("boundary")
    if not boundary or not isinstance(boundary, str):
        raise BadRequestBody("multipart body without a boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3:
        raise BadRequestBody("multipart body has no parts")
    parts: list[FormPart] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise BadRequestBody("multipart part without a header block")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers = Message()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, colon, value = line.partition(":")
            if colon:
                headers[key.strip()] = value.strip()
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise BadRequestBody("multipart part without a name")
        filename = headers.get_param("filename", header="content-disposition")
        parts.append(
            FormPart(
                name,
                data,
                filename if isinstance(filename, str) else None,
                headers.get_content_type() if headers.get("Content-Type") else None,
            )
        )
    return parts


def parse_data_url(url: str) -> tuple[str, bytes]:
    """'data:image/png;base64,AAAA' → ('image/png', bytes)."""
    head, comma, payload = url.partition(",")
    if not head.startswith("data:") or not comma:
        raise BadRequestBody("not a data: URL")
    meta = head[5:].split(";")
    mime = meta[0] or "text/plain"
    if "base64" in meta[1:]:
        try:
            return mime, base64.b64decode(payload, validate=False)
        except ValueError as exc:
            raise BadRequestBody(f"data URL with broken base64: {exc}") from exc
    from urllib.parse import unquote_to_bytes

    return mime, unquote_to_bytes(payload)


# --- the server ---------------------------------------------------------------------------------------

App = Callable[[Request], Response]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes; with Nagle on, the second waits for a delayed ACK
    # (~40 ms per answer on Linux), which would make every polling test crawl
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # tests run many requests; a quiet server keeps their output readable

    def _read_body(self) -> tuple[bytes, bool]:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = bytearray()
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(out), True
                out += self.rfile.read(size)
                self.rfile.readline(3)
                if len(out) > MAX_BODY:
                    raise BadRequestBody("request body too large")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise BadRequestBody("request body too large")
        return (self.rfile.read(length) if length else b""), False

    def _dispatch(self) -> None:
        try:
            body, chunked = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(text_response(400, "unreadable request body"))
            return
        parts = urlsplit(self.path)
        req = Request(
            self.command,
            parts.path,
            parse_qs(parts.query, keep_blank_values=True),
            self.headers,
            body,
            chunked,
            self.connection,
        )
        try:
            resp = self.server.app(req)
        except Exception as exc:  # a sandbox bug must show up as a 500, not a hung client
            resp = text_response(500, f"sandbox internal error: {type(exc).__name__}: {exc}")
        self._send(resp)

    def _send(self, resp: Response) -> None:
        if resp.delay > 0:
            self.server.stopping.wait(resp.delay)
        if resp.abort:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(resp.status)
        for key, value in resp.headers.items():
            self.send_header(key, value)
        try:
            if resp.stream is not None:
                self.send_header("Connection", "close")
                self.close_connection = True
                self.end_headers()
                for chunk in resp.stream:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                return
            self.send_header("Content-Length", str(len(resp.body)))
            if resp.cut_at is not None:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(resp.body if resp.cut_at is None else resp.body[: resp.cut_at])
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App, stopping: threading.Event):
        self.app = app
        self.stopping = stopping
        super().__init__(address, _Handler)


class Listener:
    """One HTTP listener serving an app in a daemon thread."""

    def __init__(self, host: str, port: int, app: App, stopping: threading.Event, name: str):
        self.name = name
        self._server = _Server((host, port), app, stopping)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"sandbox-{name}",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def sleep_until(stopping: threading.Event, deadline: float) -> bool:
    """Wait until the monotonic `deadline`; False if the sandbox is stopping."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return not stopping.is_set()
    return not stopping.wait(remaining)
