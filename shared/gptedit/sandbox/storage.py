"""The two non-API hosts: each::labs' presigned upload target (S3-like) and the download CDN that serves
uploaded inputs and every provider's output URLs.

Both record any request that carries a credential header: API keys must never travel to these hosts
(they are third-party storage in real life), and `stats()["leaked_credentials"]` lets tests prove it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from .edits import truncated
from .faults import Fault, FaultBook, delay_of, replacement
from .wire import Request, Response, text_response


class _Counters(Protocol):
    def count(self, provider: str, op: str) -> None: ...

    def leak(self, record: dict[str, Any]) -> None: ...


class Context(Protocol):
    """What the storage hosts use of the sandbox's shared state (`state.Context` is the one that exists);
    spelled out here so that this module does not import state, which imports it."""

    cdn_url: str
    upload_url: str
    storage: Storage
    stats: _Counters
    faults: FaultBook

    @property
    def config(self) -> dict[str, Any]: ...


#: headers that carry a secret; none of them belongs on a storage or CDN request
CREDENTIAL_HEADERS = (
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "x-fal-key",
    "openai-api-key",
    "cookie",
)

MAX_UPLOAD = 100 * 1024 * 1024  # each::labs: "Max 100 MB per upload" (storage/upload-file.mdx)
DEFAULT_RETENTION = 180 * 24 * 3600  # uploaded files are kept 180 days unless asked otherwise


@dataclass
class Blob:
    data: bytes
    content_type: str
    provider: str
    expires: float | None = None  # wall clock; None = kept


@dataclass
class Presign:
    id: str
    content_type: str
    path: str
    issued: float
    ttl: float
    retention: float
    signature: str
    required_headers: dict[str, str]
    provider: str = "eachlabs"


def s3_error(status: int, code: str, message: str) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
        f"<RequestId>{secrets.token_hex(8).upper()}</RequestId></Error>"
    )
    return text_response(status, body, "application/xml")


def record_leaks(ctx: Context, req: Request, host: str) -> None:
    for name in CREDENTIAL_HEADERS:
        value = req.header(name)
        if value:
            ctx.stats.leak(
                {
                    "host": host,
                    "method": req.method,
                    "path": req.path,
                    "header": name,
                    "value_prefix": value[:6],
                    "time": time.time(),
                }
            )


class Storage:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._lock = threading.Lock()
        self._blobs: dict[str, Blob] = {}
        self._presigns: dict[str, Presign] = {}
        #: provider-side records kept with the files (Replicate file objects, fal upload tokens)
        self._records: dict[str, dict[str, Any]] = {}
        self._secret = secrets.token_bytes(16)

    def clear(self) -> None:
        with self._lock:
            self._blobs.clear()
            self._presigns.clear()
            self._records.clear()

    def keep(self, key: str, record: dict[str, Any]) -> None:
        with self._lock:
            self._records[key] = record

    def record(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._records.get(key)

    def drop(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._records.pop(key, None)

    def records(self, prefix: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for k, r in self._records.items() if k.startswith(prefix)]

    # --- blobs -------------------------------------------------------------------------------------

    def put(self, path: str, data: bytes, content_type: str, provider: str, ttl: float | None = None) -> str:
        expires = None if ttl is None else time.time() + ttl
        with self._lock:
            self._blobs[path] = Blob(data, content_type, provider, expires)
        return self._ctx.cdn_url + path

    def remove(self, path: str) -> None:
        with self._lock:
            self._blobs.pop(path, None)

    def get(self, path: str) -> tuple[Blob | None, bool]:
        """(blob, expired). An expired blob is returned as None, True."""
        with self._lock:
            blob = self._blobs.get(path)
        if blob is None:
            return None, False
        if blob.expires is not None and time.time() >= blob.expires:
            return None, True
        return blob, False

    def is_own_cdn(self, url: str) -> bool:
        own, other = urlsplit(self._ctx.cdn_url), urlsplit(url)
        return other.scheme == own.scheme and other.netloc == own.netloc

    def fetch(self, url: str) -> Blob | None:
        """An input image by URL, only from our own CDN (the sandbox never touches the internet)."""
        if not self.is_own_cdn(url):
            return None
        blob, _ = self.get(urlsplit(url).path)
        return blob

    # --- each::labs presigned uploads ---------------------------------------------------------------

    def _sign(self, file_id: str, issued: int, ttl: int) -> str:
        return hmac.new(self._secret, f"{file_id}:{issued}:{ttl}".encode(), hashlib.sha256).hexdigest()

    def presign(self, content_type: str, retention: float, provider: str = "eachlabs") -> dict[str, Any]:
        """A signed PUT address on the upload host. each::labs' also signs a metadata header the client
        must echo (`required_headers`); fal's GCS-style one signs only the content type."""
        file_id = str(uuid.uuid4())
        ext = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}.get(content_type, "bin")
        issued, ttl = int(time.time()), int(self._ctx.config["presign_ttl"])
        stamp = datetime.fromtimestamp(issued, timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        required = {"x-amz-meta-file-id": file_id} if provider == "eachlabs" else {}
        item = Presign(
            file_id,
            content_type,
            f"/{provider}/uploads/{file_id}.{ext}",
            issued,
            ttl,
            retention,
            self._sign(file_id, issued, ttl),
            required,
            provider,
        )
        with self._lock:
            self._presigns[file_id] = item
        query = urlencode(
            {
                "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                "X-Amz-Date": stamp,
                "X-Amz-Expires": str(ttl),
                "X-Amz-SignedHeaders": "content-type;host;x-amz-meta-file-id",
                "X-Amz-Signature": item.signature,
            }
        )
        expires_at = datetime.fromtimestamp(issued + retention, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "id": file_id,
            "presigned_url": f"{self._ctx.upload_url}/uploads/{file_id}.{ext}?{query}",
            "public_url": self._ctx.cdn_url + item.path,
            "expires_at": expires_at,
            "required_headers": dict(item.required_headers),
        }

    def delete_upload(self, file_id: str) -> None:
        with self._lock:
            item = self._presigns.get(file_id)
            if item is not None:
                self._blobs.pop(item.path, None)

    def presign_for(self, file_id: str) -> Presign | None:
        with self._lock:
            return self._presigns.get(file_id)


# --- the upload host ----------------------------------------------------------------------------------


def upload_app(ctx: Context, req: Request) -> Response:
    record_leaks(ctx, req, "upload")
    if req.method != "PUT":
        return s3_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
    item = ctx.storage.presign_for(req.path.rsplit("/", 1)[-1].split(".", 1)[0])
    provider = item.provider if item is not None else "eachlabs"
    ctx.stats.count(provider, "uploads")
    fault = ctx.faults.take(provider, ("upload",))
    early = replacement(
        fault,
        lambda status, _f: s3_error(
            status,
            "SlowDown" if status in (429, 503) else "InternalError",
            "We encountered an internal error.",
        ),
    )
    if early is not None:
        return early
    resp = _accept_upload(ctx, req)
    resp.delay = delay_of(fault, ctx.config["slow_seconds"])
    return resp


def _accept_upload(ctx: Context, req: Request) -> Response:
    name = req.path.rsplit("/", 1)[-1]
    file_id = name.split(".", 1)[0]
    item = ctx.storage.presign_for(file_id)
    if item is None or req.path != "/" + item.path.split("/", 2)[2]:
        return s3_error(403, "AccessDenied", "Access Denied")
    try:
        issued, ttl = item.issued, int(req.arg("X-Amz-Expires", "0") or 0)
    except ValueError:
        return s3_error(403, "AccessDenied", "Invalid X-Amz-Expires")
    if not hmac.compare_digest(req.arg("X-Amz-Signature", "") or "", ctx.storage._sign(file_id, issued, ttl)):
        return s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match "
            "the signature you provided. Check your key and signing method.",
        )
    if time.time() > issued + ttl:
        return s3_error(403, "AccessDenied", "Request has expired")
    if req.chunked:
        # S3 refuses chunked uploads to a presigned URL; a client must send Content-Length
        return s3_error(
            501,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented (Transfer-Encoding).",
        )
    # the signature covers Content-Type and every required header: a mismatch is a signature error
    sent_type = (req.header("Content-Type") or "").strip()
    mismatched = [k for k, v in item.required_headers.items() if (req.header(k) or "") != v]
    if sent_type != item.content_type or mismatched:
        what = ", ".join((["Content-Type"] if sent_type != item.content_type else []) + mismatched)
        return s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match "
            f"the signature you provided (signed headers differ: {what}).",
        )
    if len(req.body) > MAX_UPLOAD:
        return s3_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
    ctx.storage.put(item.path, req.body, item.content_type, item.provider, item.retention)
    etag = hashlib.md5(req.body).hexdigest()  # noqa: S324 - S3's ETag is an MD5, not a security measure
    return Response(200, b"", {"ETag": f'"{etag}"'})


# --- the download CDN ---------------------------------------------------------------------------------


def _missing(provider: str) -> Response:
    if provider == "eachlabs":
        # S3 behind CloudFront answers 403 for a key it will not list, not 404
        return s3_error(403, "AccessDenied", "Access Denied")
    return text_response(404, "Not Found")


def cdn_app(ctx: Context, req: Request) -> Response:
    record_leaks(ctx, req, "download")
    provider = req.path.strip("/").split("/", 1)[0]
    if provider not in ("eachlabs", "openai", "replicate", "fal"):
        return text_response(404, "Not Found")
    if req.method not in ("GET", "HEAD"):
        return text_response(405, "Method Not Allowed")
    ctx.stats.count(provider, "downloads")
    fault = ctx.faults.take(provider, ("download",))
    early = replacement(fault, lambda status, _f: text_response(status, f"CDN error {status}"))
    if early is not None:
        return early
    if fault is not None and fault.kind == "expired_output":
        return _missing(provider)
    blob, _expired = ctx.storage.get(req.path)
    if blob is None:
        return _missing(provider)
    resp = Response(200, blob.data, {"Content-Type": blob.content_type, "Cache-Control": "max-age=3600"})
    _cut(resp, fault)
    resp.delay = delay_of(fault, ctx.config["slow_seconds"])
    return resp


def _cut(resp: Response, fault: Fault | None) -> None:
    if fault is None or fault.kind != "truncated_image":
        return
    short = truncated(resp.body, float(fault.param("fraction", 0.5)))
    if fault.param("mode", "short") == "abort":
        resp.cut_at = len(short)  # Content-Length promises the whole file, then the connection drops
    else:
        resp.body = short  # a complete HTTP answer carrying a broken image
