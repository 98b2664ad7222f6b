"""What each request looked like on the wire, for tests that compare two clients sending the same edit
(ours and a provider's official one): method and path, how the key was presented, the content type, and
the body's layout — multipart parts with their names, file names and content types, or the JSON object's
fields. Image bytes are reduced to their size and a short hash, so the same picture reads the same
whichever client sent it and however it was encoded (a file part, a data: URL or bare base64). The key
itself is never recorded, only its scheme ("Bearer", "Key", "X-API-Key")."""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from collections import deque
from typing import Any

from .wire import BadRequestBody, Request, parse_data_url, parse_multipart

#: requests kept; tests reset the sandbox before each test
KEEP = 200
#: header names worth comparing (everything else differs between HTTP libraries for no protocol reason)
HEADERS = ("prefer", "accept", "x-fal-store-io", "x-fal-object-lifecycle-preference", "idempotency-key")


def blob(data: bytes) -> str:
    """Bytes as the log shows them: size and a short hash."""
    return f"<{len(data)} bytes {hashlib.sha256(data).hexdigest()[:12]}>"


def _value(value: Any) -> Any:
    """A JSON value with image payloads reduced to `blob`s (recursively)."""
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_value(v) for v in value]
    if isinstance(value, str) and value.startswith("data:"):
        try:
            mime, data = parse_data_url(value)
        except BadRequestBody:
            return value[:40]
        return f"data:{mime};base64,{blob(data)}"
    if isinstance(value, str) and len(value) > 200:
        try:
            return "base64," + blob(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            return value[:200] + "…"
    return value


def auth_scheme(req: Request) -> str:
    value = req.header("Authorization") or ""
    if value:
        scheme, _, rest = value.partition(" ")
        return scheme if rest.strip() else "(bare)"
    if req.header("X-API-Key"):
        return "X-API-Key"
    return ""


def describe(req: Request, listener: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "listener": listener,
        "method": req.method,
        "path": req.path,
        "query": {k: v[0] if len(v) == 1 else v for k, v in req.query.items()},
        "auth": auth_scheme(req),
        "content_type": req.content_type,
        "headers": {h: req.header(h) for h in HEADERS if req.header(h) is not None},
        "chunked": req.chunked,
    }
    if req.content_type == "multipart/form-data":
        try:
            parts = parse_multipart(req.header("Content-Type") or "", req.body)
        except BadRequestBody as exc:
            entry["form_error"] = str(exc)
            return entry
        entry["form"] = [
            {
                "name": p.name,
                "filename": p.filename,
                "content_type": p.content_type,
                "value": blob(p.data) if p.filename is not None else p.data.decode("utf-8", "replace"),
            }
            for p in parts
        ]
    elif req.content_type == "application/json" and req.body:
        try:
            entry["json"] = _value(req.json())
        except BadRequestBody:
            entry["json_error"] = True
    elif req.body:
        entry["body"] = blob(req.body)
    return entry


class WireLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: deque[dict[str, Any]] = deque(maxlen=KEEP)

    def add(self, req: Request, listener: str) -> None:
        entry = describe(req, listener)
        with self._lock:
            self._items.append(entry)

    def items(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
