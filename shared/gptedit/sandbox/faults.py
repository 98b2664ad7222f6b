"""Injected faults: queued per provider and operation, each one consumed by one matching request.

A fault is data (`Fault`); what it looks like on the wire depends on the provider, so the provider
modules render the error bodies and this module only decides *whether* a request is hit and renders the
provider-neutral failures (a dropped connection, a gateway's HTML page, broken JSON)."""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .config import PROVIDERS
from .wire import Response, text_response

OPS = ("create", "poll", "cancel", "upload", "presign", "download", "stream", "result", "list", "schema")

#: faults that replace the answer with an HTTP error in the provider's own error shape
HTTP_FAULTS = {
    "http_401": 401,
    "http_402": 402,
    "http_429": 429,
    "http_500": 500,
    "http_502": 502,
    "http_503": 503,
    # OpenAI bills through quota: out of credit is a 429 `insufficient_quota`, elsewhere a 402
    "quota": 402,
}

FAULTS = (
    *HTTP_FAULTS,
    "reset",
    "malformed_json",
    "moderation",
    "expired_output",
    "truncated_image",
    "slow",
    "stream_error",
    "unknown_status",
)

#: parameters a fault may carry, with their types (anything else is a typo in a test)
PARAMS: dict[str, type | tuple[type, ...]] = {
    "retry_after": (int, float),  # seconds, sent as Retry-After (and retry-after-ms on OpenAI)
    "seconds": (int, float),  # for `slow`
    "after_create": bool,  # on create: make the job first, then fail the answer
    "status": str,  # for `unknown_status`: the undocumented word to report
    "mode": str,  # for `truncated_image`: "short" (consistent length) or "abort" (connection cut)
    "fraction": (int, float),  # for `truncated_image`: how much of the image to send
    "immediate": bool,  # for fal `moderation`: 422 at submit instead of a failed run
    "after_events": int,  # for `stream_error`: events sent before the error event
    "message": str,  # override the error text
}


class FaultProblem(ValueError):
    pass


@dataclass
class Fault:
    id: int
    provider: str  # a provider name or "*"
    op: str
    kind: str
    remaining: int
    params: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    @property
    def after_create(self) -> bool:
        return bool(self.params.get("after_create"))

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "op": self.op,
            "fault": self.kind,
            "remaining": self.remaining,
            "params": dict(self.params),
        }


class FaultBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Fault] = []
        self._fired: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def inject(self, provider: str, op: str, fault: str, count: int = 1, **params: Any) -> Fault:
        if provider not in PROVIDERS and provider != "*":
            raise FaultProblem(f"unknown provider {provider!r}; use one of {', '.join(PROVIDERS)} or '*'")
        if op not in OPS:
            raise FaultProblem(f"unknown op {op!r}; use one of {', '.join(OPS)}")
        if fault not in FAULTS:
            raise FaultProblem(f"unknown fault {fault!r}; use one of {', '.join(FAULTS)}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise FaultProblem(f"count must be a whole number >= 1, not {count!r}")
        for name, value in params.items():
            expected = PARAMS.get(name)
            if expected is None:
                raise FaultProblem(f"unknown fault parameter {name!r}; known: {', '.join(PARAMS)}")
            if isinstance(value, bool) and expected is not bool or not isinstance(value, expected):
                raise FaultProblem(f"fault parameter {name} has the wrong type: {value!r}")
        if params.get("after_create") and op != "create":
            raise FaultProblem("after_create only makes sense on op 'create'")
        with self._lock:
            item = Fault(next(self._ids), provider, op, fault, count, dict(params))
            self._pending.append(item)
            return item

    def take(self, provider: str, ops: tuple[str, ...] | list[str]) -> Fault | None:
        """Consume one fault for this request, trying `ops` in order (an OpenAI streamed edit is both a
        `stream` and a `create`; a fal status stream both a `stream` and a `poll`)."""
        with self._lock:
            for op in ops:
                for item in self._pending:
                    if item.op == op and item.provider in (provider, "*"):
                        item.remaining -= 1
                        if item.remaining <= 0:
                            self._pending.remove(item)
                        self._fired.append({**item.describe(), "provider": provider, "time": time.time()})
                        return item
        return None

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self._fired.clear()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"pending": [f.describe() for f in self._pending], "fired": list(self._fired)}


# --- provider-neutral renderings ----------------------------------------------------------------------

ErrorRenderer = Callable[[int, Fault], Response]

_GATEWAY_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)

#: valid JSON cut in the middle: what a proxy that dropped the tail of an answer produces
MALFORMED_JSON = b'{"status":"success","message":"Prediction created succ'


def replacement(fault: Fault | None, render_error: ErrorRenderer) -> Response | None:
    """The answer a fault puts in place of the real one, or None if the request proceeds."""
    if fault is None:
        return None
    if fault.kind == "reset":
        return Response(abort=True)
    if fault.kind == "malformed_json":
        return Response(200, MALFORMED_JSON, {"Content-Type": "application/json"})
    if fault.kind == "http_502":
        # a 502 comes from the load balancer in front of the API, so it is HTML, not the API's JSON
        return text_response(502, _GATEWAY_502, "text/html")
    if fault.kind in HTTP_FAULTS:
        return render_error(HTTP_FAULTS[fault.kind], fault)
    return None


def delay_of(fault: Fault | None, default_seconds: float) -> float:
    if fault is None or fault.kind != "slow":
        return 0.0
    return float(fault.param("seconds", default_seconds))


def retry_after_headers(fault: Fault, milliseconds: bool = False) -> dict[str, str]:
    seconds = fault.param("retry_after")
    if seconds is None:
        return {}
    # Retry-After is whole seconds in HTTP; OpenAI adds retry-after-ms for the precise value
    headers = {"Retry-After": str(math.ceil(float(seconds)))}
    if milliseconds:
        headers["retry-after-ms"] = str(int(float(seconds) * 1000))
    return headers
