"""The rules the transport applies: which addresses may be used, which CA file verifies TLS, and how
an HTTP error answer or a failed connection becomes a typed error a person can act on.

Each provider wraps its message differently (each::labs `{"error": "..."}`, OpenAI `{"error": {"message",
"code"}}`, Replicate problem+json `{"title","detail"}`, fal `{"detail": [...]}`); each provider module
passes a small parser returning an `ErrorDetail`, and the HTTP status decides the error type. The
provider's own `code` can override the status: OpenAI sends `insufficient_quota` as a 429 (retrying will
not help) and `moderation_blocked` as a 400 (docs/providers.md "OpenAI: errors").
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ._deps import certifi, requests
from .errors import (
    AuthError,
    BadInput,
    ConfigError,
    GptEditError,
    ModerationBlocked,
    NetworkError,
    OutputExpired,
    PaymentRequired,
    ProviderError,
    RateLimited,
    RequestTimeout,
    ServerError,
    SubmissionUnknown,
)

_rexc = requests.exceptions


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def origin_of(url: str) -> tuple[str, str, int]:
    p = urlsplit(url)
    scheme = p.scheme.lower()
    return scheme, (p.hostname or "").lower(), p.port or (443 if scheme == "https" else 80)


def check_scheme(url: str, what: str, error: type[GptEditError] = ConfigError) -> None:
    p = urlsplit(url)
    if p.scheme not in ("http", "https") or not p.hostname:
        raise error(f"The {what} {url!r} is not a web address like https://api.example.com.")
    if p.scheme == "http" and not is_loopback_host(p.hostname):
        raise error(
            f"The {what} {url!r} uses plain http; use https (plain http is allowed only for this "
            "computer: 127.0.0.1, ::1 or localhost)."
        )


def validate_base_url(url: str, label: str = "provider") -> str:
    url = (url or "").strip()
    check_scheme(url, f"{label} base URL")
    p = urlsplit(url)
    if p.username or p.password:
        raise ConfigError(f"The {label} base URL must not contain a user name or password.")
    if p.query or p.fragment:
        raise ConfigError(f"The {label} base URL must not contain '?' or '#'.")
    return url.rstrip("/")


def ca_bundle() -> str:
    """The CA file or folder to verify TLS with: a corporate bundle when configured, else certifi's."""
    for var in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        path = os.environ.get(var, "").strip()
        if path:
            if not os.path.exists(path):
                raise ConfigError(f"{var} points at {path!r}, which does not exist; fix or unset it.")
            return path
    return certifi.where()


#: the headers providers put their request id in: each::labs/OpenAI `X-Request-Id`, fal `x-fal-request-id`
REQUEST_ID_HEADERS = ("x-request-id", "x-fal-request-id", "request-id")
MODERATION_CODES = frozenset({"moderation_blocked", "content_policy_violation", "content_moderation"})
QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached", "billing_not_active"})
_MAX_MESSAGE = 400


@dataclass
class ErrorDetail:
    message: str | None = None
    code: str | None = None


ErrorParser = Callable[[Any], ErrorDetail]


def request_id_of(headers: Mapping[str, str]) -> str | None:
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value.strip()[:100]
    return None


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms`, `Retry-After` (seconds or HTTP date) or `ratelimit-reset`."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = (headers.get("retry-after") or "").strip()
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(0.0, when.timestamp() - (time.time() if now is None else now))
    reset = (headers.get("ratelimit-reset") or "").strip()  # Replicate: seconds until the window resets
    if reset.isdigit():
        return float(reset)
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, list) and value:
        parts = [validation_item(v) for v in value]
        joined = "; ".join(p for p in parts if p)
        return joined or None
    return None


def validation_item(item: Any) -> str:
    """One entry of a FastAPI/pydantic-style `detail` list (fal, some gateways)."""
    if isinstance(item, dict):
        msg = str(item.get("msg") or item.get("message") or "").strip()
        loc = item.get("loc")
        if isinstance(loc, list):
            where = ".".join(str(p) for p in loc if p not in ("body",))
            if where and msg:
                return f"{where}: {msg}"
        return msg
    return str(item).strip() if item is not None else ""


def generic_error_detail(body: Any) -> ErrorDetail:
    """Best effort for any JSON error shape; the provider parsers fall back to it."""
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            code = err.get("code") or err.get("type")
            return ErrorDetail(_text(err.get("message")), str(code) if code else None)
        for key in ("error", "message", "detail", "details", "title"):
            text = _text(body.get(key))
            if text:
                code = body.get("code") or body.get("error_type") or body.get("type")
                return ErrorDetail(text, str(code) if isinstance(code, str) else None)
    if isinstance(body, str):
        return ErrorDetail(_plain(body))
    return ErrorDetail()


def _plain(text: str) -> str | None:
    """A text body as a short message; HTML error pages say nothing useful and are dropped."""
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype", "<html", "<?xml")) or "<body" in head:
        return None
    line = re.sub(r"\s+", " ", text).strip()
    return line or None


def _parse_body(raw: bytes, content_type: str) -> Any:
    text = raw.decode("utf-8", errors="replace")
    if text.strip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def error_for_status(
    status: int,
    headers: Mapping[str, str],
    raw: bytes,
    *,
    label: str,
    key_env: str = "",
    parser: ErrorParser | None = None,
    redact: Callable[[str], str] = lambda s: s,
    foreign: str | None = None,
    retry_after: float | None = None,
) -> GptEditError:
    """The typed error for one non-2xx answer. `foreign` is "download" or "upload" for requests to
    storage hosts, where 401/403 say nothing about the API key."""
    body = _parse_body(raw, headers.get("content-type", ""))
    detail = ErrorDetail()
    if parser is not None:
        try:
            detail = parser(body)
        except Exception:  # a parser bug must not hide the HTTP error itself
            detail = ErrorDetail()
    if not detail.message:
        fallback = generic_error_detail(body)
        detail = ErrorDetail(fallback.message, detail.code or fallback.code)
    message = redact(detail.message or "").strip().rstrip(".")
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 1] + "…"
    said = f": {message}" if message else ""  # the provider's own words, when it sent any
    rid = request_id_of(headers)
    where = f"HTTP {status}" + (f", request id {rid}" if rid else "")
    code = (detail.code or "").lower()
    kw = {"status": status, "request_id": rid}

    if foreign == "download":
        if status in (401, 403, 404, 410):
            return OutputExpired(
                f"The result link no longer works ({where}); providers delete results after a while. "
                "Run the edit again if the result was not saved.",
                **kw,
            )
    elif foreign == "upload" and 400 <= status < 500 and status != 429:
        return ProviderError(
            f"The provider's storage refused the upload{said} ({where}). The upload link may have "
            "expired; try again.",
            **kw,
        )

    if code in MODERATION_CODES:
        return ModerationBlocked(
            f"{label} refused the request for safety reasons{said} ({where}). "
            "Change the prompt or the image.",
            **kw,
        )
    if code in QUOTA_CODES or status == 402:
        return PaymentRequired(
            f"{label} says the account has no credit or quota left{said} ({where}). "
            "Top up the account or raise its limit, then try again.",
            **kw,
        )
    if status in (401, 403):
        hint = f"Check {key_env} or the key in the settings." if key_env else "Check the key in the settings."
        return AuthError(f"{label} did not accept the API key{said} ({where}). {hint}", **kw)
    if status == 429:
        wait = retry_after if retry_after is not None else parse_retry_after(headers)
        later = f" Wait {wait:.0f} s" if wait else " Wait a little"
        return RateLimited(
            f"{label} is rate limiting requests{said} ({where}).{later} and try again.",
            retry_after=wait,
            **kw,
        )
    if status == 408:
        return RequestTimeout(f"{label} timed out waiting for the request{said} ({where}). Try again.", **kw)
    if status in (400, 413, 415, 422):
        return BadInput(f"{label} refused the request{said} ({where}).", **kw)
    if status == 404:
        return ProviderError(f"{label} could not find it{said} ({where}).", **kw)
    if status >= 500:
        return ServerError(f"{label} had a server error{said} ({where}). Try again later.", **kw)
    return ProviderError(f"{label} answered with an error{said} ({where}).", **kw)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (requests → urllib3 MaxRetryError.reason → socket error)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        for nxt in (getattr(e, "reason", None), e.__cause__, e.__context__, *getattr(e, "args", ())):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def nothing_sent(exc: BaseException) -> bool:
    """True when the request certainly never reached the server. Matched by class name so it works with
    the vendored urllib3 copy inside the plugins too."""
    if isinstance(exc, (_rexc.ConnectTimeout, _rexc.ProxyError, _rexc.SSLError, _rexc.InvalidURL)):
        return True
    names = {cls.__name__ for e in _chain(exc) for cls in type(e).__mro__}
    return bool(
        names
        & {
            "NewConnectionError",
            "ConnectTimeoutError",
            "NameResolutionError",
            "ConnectionRefusedError",
            "gaierror",
        }
    )


def error_for_exception(
    exc: BaseException, *, label: str, host: str, idempotent: bool, sent: bool, connect_timeout: float
) -> GptEditError:
    """The typed error for a request that got no HTTP answer. The message names only the host, never
    the URL's query or any header."""
    timed_out = isinstance(exc, _rexc.Timeout) or any(
        type(e).__name__ == "ReadTimeoutError" for e in _chain(exc)
    )
    if not idempotent and sent:
        what = "did not answer in time" if timed_out else "dropped the connection"
        return SubmissionUnknown(
            f"{label} {what} after the edit was sent, so it is unknown whether it started (and will be "
            "billed). Check the provider's dashboard before trying again."
        )
    if isinstance(exc, _rexc.ConnectTimeout):
        return RequestTimeout(
            f"Could not connect to {host} within {connect_timeout:g} s. Check the network or proxy settings."
        )
    if timed_out:
        return RequestTimeout(f"{label} ({host}) did not answer in time. Try again later.")
    if isinstance(exc, _rexc.SSLError):
        return NetworkError(
            f"Could not make a secure connection to {host}: the certificate was not accepted. If your "
            "network uses its own certificate authority, point REQUESTS_CA_BUNDLE or SSL_CERT_FILE at it."
        )
    if isinstance(exc, _rexc.ProxyError):
        return NetworkError(f"The proxy refused the connection to {host}. Check HTTPS_PROXY / NO_PROXY.")
    if nothing_sent(exc):
        return NetworkError(f"Could not reach {host}. Check the internet connection and the base URL.")
    return NetworkError(f"The connection to {host} broke while talking to {label}. Try again.")
