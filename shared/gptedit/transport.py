"""The one HTTP policy every provider uses.

- TLS is always verified, against certifi's bundle or a corporate CA named in REQUESTS_CA_BUNDLE /
  SSL_CERT_FILE (the Pythons inside Krita and GIMP often have no CA store at all). Proxies come from the
  environment, except for loopback addresses, which no proxy can reach.
- The API key goes only to the API's own origin (scheme, host, port of the base URL). Redirects are
  followed by hand so a redirect can never carry the key elsewhere; uploads and downloads never carry it.
- Retries happen only where they cannot cost twice: read-only requests retry on network trouble, 429 and
  gateway errors; a create request is retried only when it certainly never arrived (refused connection,
  DNS failure, connect timeout) or was rejected with 429 (not billed, per each::labs' and OpenAI's docs).
  Anything else after a create was sent becomes `SubmissionUnknown` and is left to the user.
- Every body is read in chunks with a size cap, and every error is mapped to a typed error carrying the
  provider's own message and request id, and never the key.
"""

from __future__ import annotations

import json as jsonlib
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from . import __version__
from ._deps import requests
from .errors import (
    BadResponse,
    ConfigError,
    GptEditError,
    RateLimited,
    SubmissionUnknown,
)
from .http_policy import (
    ErrorDetail,
    ErrorParser,
    ca_bundle,
    check_scheme,
    error_for_exception,
    error_for_status,
    generic_error_detail,
    is_loopback_host,
    nothing_sent,
    origin_of,
    parse_retry_after,
    request_id_of,
    validate_base_url,
)
from .sse import SSEEvent, StreamResponse

__all__ = [
    "ApiResponse",
    "ErrorDetail",
    "ErrorParser",
    "RetryPolicy",
    "StreamResponse",
    "Transport",
    "ca_bundle",
    "generic_error_detail",
    "is_loopback_host",
    "parse_retry_after",
    "validate_base_url",
]

log = logging.getLogger(__name__)

MiB = 1024 * 1024
#: status and create answers are a few KB; only OpenAI's base64 answers are big and it passes its own cap
MAX_JSON_BYTES = 16 * MiB
MAX_ERROR_BYTES = 1 * MiB
MAX_DOWNLOAD_BYTES = 100 * MiB
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
#: worth another try for a read-only request (408: the server gave up waiting for us, nothing done)
_RETRY_STATUSES = (408, 429, 500, 502, 503, 504)
#: a gateway answering for a create may already have forwarded it
_AMBIGUOUS_CREATE_STATUSES = (502, 504)
_NO_PROXY = {"http": None, "https": None, "all": None}


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 20.0
    #: seconds of retrying (waits included) after which the last error is raised
    total_cap: float = 120.0
    #: a Retry-After longer than this is not waited out here; the error goes up with `retry_after` set
    max_retry_after: float = 60.0


@dataclass
class ApiResponse:
    status: int
    headers: Mapping[str, str]
    body: Any
    url: str

    @property
    def request_id(self) -> str | None:
        return request_id_of(self.headers)


class Transport:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        auth_header: Callable[[str], dict],
        *,
        connect_timeout: float = 15.0,
        read_timeout: float = 120.0,
        user_agent: str | None = None,
        label: str = "The provider",
        key_env: str = "",
        error_parser: ErrorParser | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ):
        self.label = label
        self.base_url = validate_base_url(base_url, label)
        self._origin = origin_of(self.base_url)
        self._api_key = api_key or ""
        self._auth_header = auth_header
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.user_agent = user_agent or f"gptedit/{__version__}"
        self.key_env = key_env
        self.error_parser = error_parser or generic_error_detail
        self.retry = retry or RetryPolicy()
        self._sleep, self._clock = sleep, clock
        self._rng = rng or random.Random()
        self.session = self._new_session()

    # -- plumbing ---------------------------------------------------------------------------------
    def _new_session(self) -> requests.Session:
        s = requests.Session()  # trust_env stays on: proxies and NO_PROXY from the environment
        s.headers["User-Agent"] = self.user_agent
        return s

    def close(self) -> None:
        self.session.close()

    def url(self, url_or_path: str) -> str:
        if urlsplit(url_or_path).scheme:
            return url_or_path
        return self.base_url + "/" + url_or_path.lstrip("/")

    def is_api_origin(self, url: str) -> bool:
        return origin_of(url) == self._origin

    def _redact(self, text: str) -> str:
        if self._api_key and len(self._api_key) >= 4:
            text = text.replace(self._api_key, "***")
        return text

    def _headers(self, url: str, extra: Mapping[str, str] | None, with_key: bool) -> dict[str, str]:
        headers = dict(extra or {})
        if with_key and self.is_api_origin(url):
            if not self._api_key:
                hint = f" set {self.key_env} or" if self.key_env else ""
                raise ConfigError(f"No API key for {self.label}:{hint} enter the key in the settings.")
            headers.update(self._auth_header(self._api_key))
        return headers

    def _send_once(
        self, session, method: str, url: str, *, headers, with_key: bool, timeout, body: dict
    ) -> requests.Response:
        """One request; GET redirects are followed by hand so the key is re-decided for every hop."""
        for _ in range(MAX_REDIRECTS + 1):
            check_scheme(url, f"address {self.label} sent", BadResponse)
            resp = session.request(
                method,
                url,
                headers=self._headers(url, headers, with_key),
                timeout=timeout,
                allow_redirects=False,
                stream=True,
                verify=ca_bundle(),
                proxies=_NO_PROXY if is_loopback_host(urlsplit(url).hostname) else None,
                **body,
            )
            location = resp.headers.get("location")
            if resp.status_code not in _REDIRECTS or not location:
                return resp
            resp.close()
            target = urljoin(url, location)
            if method not in ("GET", "HEAD"):
                # re-sending a body elsewhere is never what an API wants; a moved API needs a new base URL
                raise ConfigError(
                    f"{self.label} redirected a {method} request to {target}; "
                    "set the base URL to the new address."
                )
            url = target
        raise BadResponse(f"{self.label} redirected more than {MAX_REDIRECTS} times.")

    def _delay(self, attempt: int) -> float:
        base = min(self.retry.max_delay, self.retry.base_delay * 2 ** (attempt - 1))
        return base * self._rng.uniform(0.5, 1.0)

    def _map_exception(self, exc: BaseException, url: str, idempotent: bool, sent: bool) -> GptEditError:
        return error_for_exception(
            exc,
            label=self.label,
            host=urlsplit(url).hostname or url,
            idempotent=idempotent,
            sent=sent,
            connect_timeout=self.connect_timeout,
        )

    def _error(self, resp: requests.Response, *, foreign: str | None = None) -> GptEditError:
        try:
            raw = self._read(resp, MAX_ERROR_BYTES)
        except GptEditError:
            raw = b""
        return error_for_status(
            resp.status_code,
            resp.headers,
            raw,
            label=self.label,
            key_env=self.key_env,
            parser=self.error_parser,
            redact=self._redact,
            foreign=foreign,
        )

    def _read(self, resp: requests.Response, max_bytes: int) -> bytes:
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            resp.close()
            raise BadResponse(
                f"{self.label} sent {int(declared) // MiB} MB, more than the "
                f"{max_bytes // MiB} MB allowed; the answer was abandoned."
            )
        buf = bytearray()
        try:
            for chunk in resp.iter_content(256 * 1024):
                buf += chunk
                if len(buf) > max_bytes:
                    raise BadResponse(
                        f"{self.label} sent more than {max_bytes // MiB} MB; the answer was abandoned."
                    )
        finally:
            resp.close()
        return bytes(buf)

    def _call(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        with_key: bool,
        headers,
        body_factory,
        timeout,
        consume: Callable[[requests.Response], Any],
        foreign: str | None = None,
        session: requests.Session | None = None,
        answer_statuses: tuple[int, ...] = (),
        attempts: int | None = None,
    ):
        """The retry loop. `consume` turns a 2xx response (or one whose status is in `answer_statuses`)
        into the result; it runs inside the loop so a body cut short can be retried for read-only
        requests."""
        start = self._clock()
        attempt = 0
        # A create gets a fresh connection: a pooled keep-alive connection the server already closed
        # fails in a way that cannot be told apart from a drop after sending.
        own = session is None and not idempotent
        if session is None:
            session = self.session if idempotent else self._new_session()
        try:
            while True:
                attempt += 1
                wait: float | None = None
                try:
                    resp = self._send_once(
                        session,
                        method,
                        url,
                        headers=headers,
                        with_key=with_key,
                        timeout=timeout,
                        body=body_factory(),
                    )
                except requests.RequestException as exc:
                    unsent = nothing_sent(exc)
                    error = self._map_exception(exc, url, idempotent, sent=not unsent)
                    retry_ok = (
                        (idempotent or unsent)
                        and error.retryable
                        and not isinstance(exc, requests.exceptions.SSLError)
                    )
                else:
                    if resp.status_code < 300 or resp.status_code in answer_statuses:
                        try:
                            return consume(resp)
                        except requests.RequestException as exc:  # the body broke off
                            error = self._map_exception(exc, url, idempotent, sent=True)
                            retry_ok = idempotent
                        except BadResponse as exc:
                            if not idempotent:
                                raise SubmissionUnknown(
                                    f"{self.label} accepted the edit but its answer could not be read "
                                    f"({exc}). Check the provider's dashboard before trying again.",
                                    status=resp.status_code,
                                    request_id=request_id_of(resp.headers),
                                ) from None
                            error, retry_ok = exc, True
                    else:
                        error = self._error(resp, foreign=foreign)
                        if not idempotent and resp.status_code in _AMBIGUOUS_CREATE_STATUSES:
                            raise SubmissionUnknown(
                                f"The gateway in front of {self.label} answered HTTP {resp.status_code} "
                                "after the "
                                "edit was sent, so it is unknown whether it started. Check the provider's "
                                "dashboard before trying again.",
                                status=resp.status_code,
                                request_id=error.request_id,
                            )
                        # a 429 is a rejection (not billed), so even a create may be re-sent
                        retry_ok = resp.status_code in _RETRY_STATUSES and (
                            idempotent or isinstance(error, RateLimited)
                        )
                        wait = getattr(error, "retry_after", None)
                if not retry_ok or attempt >= (attempts or self.retry.attempts):
                    raise error
                if wait is not None and wait > self.retry.max_retry_after:
                    raise error
                delay = wait if wait is not None else self._delay(attempt)
                if self._clock() - start + delay > self.retry.total_cap:
                    raise error
                log.debug(
                    "%s %s failed (%s); retry %d in %.1f s",
                    method,
                    urlsplit(url).path,
                    error.kind,
                    attempt,
                    delay,
                )
                self._sleep(delay)
        finally:
            if own:
                session.close()

    def _timeout(self, read_timeout: float | None):
        return (self.connect_timeout, read_timeout if read_timeout is not None else self.read_timeout)

    @staticmethod
    def _body_factory(json, data, files) -> Callable[[], dict]:
        def make() -> dict:
            body: dict = {}
            if json is not None:
                body["json"] = json
            if data is not None:
                body["data"] = data
            if files is not None:
                body["files"] = files
            return body

        return make

    # -- public API -------------------------------------------------------------------------------
    def request_json(
        self,
        method: str,
        url_or_path: str,
        *,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool,
        max_bytes: int = MAX_JSON_BYTES,
        read_timeout: float | None = None,
        answer_statuses: tuple[int, ...] = (),
        attempts: int | None = None,
    ) -> ApiResponse:
        """One JSON request. Statuses in `answer_statuses` come back as answers (for the caller to read
        their body) instead of being raised or retried; `attempts` caps the tries below the retry policy's
        (an optional look-up should not hold up an edit)."""
        url = self.url(url_or_path)
        hdrs = {"Accept": "application/json", **(headers or {})}

        def consume(resp: requests.Response) -> ApiResponse:
            raw = self._read(resp, max_bytes)
            body = None
            if raw.strip():
                try:
                    body = jsonlib.loads(raw)
                except ValueError:
                    if resp.status_code >= 300:  # an error page asked for as an answer: no body to read
                        return ApiResponse(resp.status_code, resp.headers, None, resp.url or url)
                    preview = self._redact(raw[:80].decode("utf-8", "replace"))
                    raise BadResponse(
                        f"{self.label} sent an answer that is not JSON (HTTP {resp.status_code}, "
                        f"starting {preview!r}).",
                        status=resp.status_code,
                        request_id=request_id_of(resp.headers),
                    ) from None
            return ApiResponse(resp.status_code, resp.headers, body, resp.url or url)

        return self._call(
            method.upper(),
            url,
            idempotent=idempotent,
            with_key=True,
            headers=hdrs,
            body_factory=self._body_factory(json, data, files),
            timeout=self._timeout(read_timeout),
            consume=consume,
            answer_statuses=answer_statuses,
            attempts=attempts,
        )

    def open_stream(
        self,
        method: str,
        url_or_path: str,
        *,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool,
        read_timeout: float | None = None,
        max_bytes: int = MAX_JSON_BYTES,
    ) -> StreamResponse:
        """Start a request whose answer is read incrementally (SSE). Errors before the answer starts are
        mapped and retried like `request_json`; the caller reads `events()` and closes the stream."""
        url = self.url(url_or_path)
        hdrs = {"Accept": "text/event-stream", **(headers or {})}
        session = self.session if idempotent else self._new_session()
        own = session is not self.session
        try:
            return self._call(
                method.upper(),
                url,
                idempotent=idempotent,
                with_key=True,
                headers=hdrs,
                body_factory=self._body_factory(json, data, files),
                timeout=self._timeout(read_timeout),
                session=session,
                consume=lambda resp: self._stream(resp, idempotent, max_bytes, session if own else None),
            )
        except BaseException:
            if own:
                session.close()
            raise

    def _stream(
        self, resp: requests.Response, idempotent: bool, max_bytes: int, session: requests.Session | None
    ) -> StreamResponse:
        def on_close() -> None:
            resp.close()
            if session is not None:
                session.close()

        def map_error(exc: Exception) -> GptEditError:
            if isinstance(exc, BadResponse) and not idempotent:
                return SubmissionUnknown(
                    f"{self.label} accepted the edit but its answer could not be read "
                    f"({exc}). Check the provider's dashboard before trying again."
                )
            if isinstance(exc, GptEditError):
                return exc
            return self._map_exception(exc, resp.url or "", idempotent, True)

        return StreamResponse(
            status=resp.status_code,
            headers=resp.headers,
            request_id=request_id_of(resp.headers),
            chunks=_arriving_chunks(resp),
            read_all=lambda: self._read(resp, max_bytes),
            label=self.label,
            map_error=map_error,
            close=on_close,
            max_event_bytes=max_bytes,
        )

    def stream_sse(self, method: str, url_or_path: str, **kw) -> Iterator[SSEEvent]:
        with self.open_stream(method, url_or_path, **kw) as stream:
            yield from stream.events()

    def download(self, url: str, *, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
        """The bytes at a result URL, never with the key. 403/404/410 mean the link expired."""
        return self._call(
            "GET",
            url,
            idempotent=True,
            with_key=False,
            headers={"Accept": "*/*"},
            body_factory=dict,
            timeout=self._timeout(None),
            consume=lambda resp: self._read(resp, max_bytes),
            foreign="download",
        )

    def upload(
        self,
        url: str,
        data: bytes,
        headers: Mapping[str, str] | None = None,
        *,
        progress: Callable[[float], None] | None = None,
        method: str = "PUT",
    ) -> bytes:
        """Send raw bytes to a storage URL, never with the key: a presigned PUT (the URL itself is the
        permission) or a POST carrying the storage's own short-lived token in `headers` (fal's CDN).
        Returns the storage's answer (at most 1 MB)."""

        def body() -> dict:
            return {"data": _ProgressBody(data, progress)}

        answer = self._call(
            method.upper(),
            url,
            idempotent=True,
            with_key=False,
            headers=dict(headers or {}),
            body_factory=body,
            timeout=self._timeout(None),
            consume=lambda resp: self._read(resp, MAX_ERROR_BYTES),
            foreign="upload",
        )
        if progress:
            progress(1.0)
        return answer


class _ProgressBody:
    """A file-like body with a length (storage services refuse chunked uploads) that reports progress."""

    def __init__(self, data: bytes, progress: Callable[[float], None] | None):
        self._data, self._pos, self._progress = data, 0, progress

    def __len__(self) -> int:
        return len(self._data)

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size is None or size < 0 else min(len(self._data), self._pos + size)
        chunk = self._data[self._pos : end]
        self._pos = end
        if self._progress and self._data:
            self._progress(min(0.999, self._pos / len(self._data)))
        return chunk


def _arriving_chunks(resp: requests.Response) -> Iterator[bytes]:
    """Bytes as soon as they arrive. `iter_content(n)` waits for n bytes (or the end) when the answer is
    not chunk-encoded, which would hold back every event; `read1` returns what is there."""
    read1 = getattr(resp.raw, "read1", None)
    if read1 is None:  # an older urllib3: chunk-encoded streams still arrive chunk by chunk
        yield from resp.iter_content(None)
        return
    while True:
        data = read1(64 * 1024, decode_content=True)
        if not data:
            return
        yield data
