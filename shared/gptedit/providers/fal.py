"""fal: the queue API with `openai/gpt-image-2/edit` (docs/providers.md "fal").

The submit answer carries the status, result and cancel URLs. They drop the endpoint's sub-path
(`openai/gpt-image-2/edit` → `.../openai/gpt-image-2/requests/{id}`, docs/providers.md "fal: queue"),
so they are kept in the handle and always used as given rather than rebuilt.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from ..errors import (
    BadInput,
    BadResponse,
    NetworkError,
    ProviderError,
    RequestTimeout,
    ServerError,
    SubmissionUnknown,
)
from ..http_policy import validation_item
from ..models import EditRequest, PollResult, Quality, RemoteHandle, RemoteStatus, Submission
from ..transport import ErrorDetail, generic_error_detail
from .base import SubmitListener
from .common import HTTPProvider, data_url, job_failure, output_refs, status_of, usage_from

STATUSES = {
    "in_queue": RemoteStatus.QUEUED,
    "in_progress": RemoteStatus.RUNNING,
    "completed": RemoteStatus.SUCCEEDED,
    "ok": RemoteStatus.SUCCEEDED,
    # the next four appear only in a third-party schema (docs/providers.md "fal: queue", UNCONFIRMED);
    # accepted all the same
    "failed": RemoteStatus.FAILED,
    "error": RemoteStatus.FAILED,
    "canceled": RemoteStatus.CANCELLED,
    "cancelled": RemoteStatus.CANCELLED,
}


def error_detail(body: Any) -> ErrorDetail:
    """Validation: `{"detail": [{loc, msg, type}]}`; request errors: `{"detail": "...", "error_type"}`
    (docs/providers.md "fal: queue")."""
    if isinstance(body, Mapping):
        detail = body.get("detail")
        code = body.get("error_type") if isinstance(body.get("error_type"), str) else None
        if isinstance(detail, list):
            text = "; ".join(p for p in (validation_item(d) for d in detail) if p)
            # an item's `type` names the reason, e.g. content_policy_violation for a moderated prompt
            types = [d.get("type") for d in detail if isinstance(d, Mapping) and isinstance(d.get("type"), str)]
            if text:
                return ErrorDetail(text, code or (types[0] if types else None))
        if isinstance(detail, str) and detail.strip():
            return ErrorDetail(detail.strip(), code)
        generic = generic_error_detail(body)
        if not generic.message and isinstance(body.get("status"), str):
            # the cancel endpoint answers 400 {"status": "ALREADY_COMPLETED"}
            return ErrorDetail(body["status"], code)
        return generic
    return generic_error_detail(body)


class FalProvider(HTTPProvider):
    name = "fal"
    can_cancel = True
    can_stream = False
    # `{status_url}/stream` holds the request open until the status changes (docs/providers.md "fal: queue")
    can_hold_poll = True
    error_detail = staticmethod(error_detail)

    def create_payload(self, request: EditRequest) -> dict:
        body: dict[str, Any] = {
            "prompt": request.prompt.strip(),
            # data URLs are accepted (docs/providers.md "fal: model inputs"); fal's own storage upload is a
            # separate API we do not need
            "image_urls": [data_url(img) for img in request.images],
            "image_size": "auto" if request.size is None
            else {"width": request.size.width, "height": request.size.height},
            "num_images": request.n,
            "output_format": request.output_format.value,
            "background": request.background.value,
        }
        if request.quality is not Quality.AUTO:
            # fal's quality enum for gpt-image-2 is UNCONFIRMED (default high, docs/providers.md "fal: model
            # inputs"): "auto" is left out rather than risk a 422, so fal's default applies
            body["quality"] = request.quality.value
        if request.mask is not None:
            # the field name LiteLLM's fal adapter uses (docs/providers.md "fal: model inputs")
            body["mask_url"] = data_url(request.mask)
        return body

    def submit(self, request: EditRequest, listener: SubmitListener | None = None) -> Submission:
        self.check(request)
        resp = self.transport.request_json("POST", "/" + request.model.strip("/"),
                                           json=self.create_payload(request), idempotent=False)
        body = resp.body if isinstance(resp.body, Mapping) else {}
        rid = body.get("request_id")
        if not isinstance(rid, str) or not rid:
            raise SubmissionUnknown(f"{self.info.label} accepted the edit but sent no request id, so it cannot "
                                    "be followed. Check the fal dashboard before trying again.",
                                    request_id=resp.request_id)
        # fallback when URLs are missing: owner/app without the sub-path, as fal builds them
        # (docs/providers.md "fal: queue")
        app = "/".join(request.model.strip("/").split("/")[:2])
        base = self.transport.url(f"/{app}/requests/{rid}")
        urls = {"status": base + "/status", "response": base, "cancel": base + "/cancel"}
        for key in ("status", "response", "cancel"):
            value = body.get(f"{key}_url")
            if isinstance(value, str) and value:
                urls[key] = value
        return Submission(RemoteHandle(self.name, rid, urls))

    def _urls(self, handle: RemoteHandle) -> dict[str, str]:
        if "status" in handle.urls:
            return handle.urls
        raise BadInput("This fal job has no status address stored, so it cannot be followed.")

    def poll(self, handle: RemoteHandle, wait: float = 0.0) -> PollResult:
        urls = self._urls(handle)
        status = None
        if wait > 0:
            status = self._wait_for_change(urls["status"], wait)
        if status is None:
            status = self.transport.request_json("GET", urls["status"], idempotent=True).body
        return self._result(status, urls)

    def _wait_for_change(self, status_url: str, wait: float) -> Mapping | None:
        """Follow `{status_url}/stream` until the status word changes, or `wait` seconds pass. None when
        the stream gave nothing usable (the caller asks once more the plain way)."""
        deadline = time.monotonic() + wait
        first: str | None = None
        last: Mapping | None = None
        try:
            with self.transport.open_stream("GET", status_url.rstrip("/") + "/stream", idempotent=True,
                                            read_timeout=max(1.0, wait)) as stream:
                if not stream.is_sse:
                    body = stream.json()
                    return body if isinstance(body, Mapping) else None
                for event in stream.events(until=deadline):
                    try:
                        obj = json.loads(event.data)
                    except ValueError:
                        continue
                    if not isinstance(obj, Mapping) or "status" not in obj:
                        continue
                    word = str(obj["status"]).upper()
                    first = first or word
                    last = obj
                    if word != first or status_of(word, STATUSES).terminal:
                        break
        except (RequestTimeout, NetworkError, BadResponse, ServerError, ProviderError):
            # No change within `wait`, or the stream is broken or missing (5xx, 404): the stream is only a
            # faster way to hear of a change, so `last` or a plain GET answers instead.
            pass
        return last

    def _result(self, status: Any, urls: Mapping[str, str]) -> PollResult:
        if not isinstance(status, Mapping):
            raise BadResponse(f"{self.info.label} sent a status that is not a JSON object.")
        word = str(status.get("status") or "")
        result = PollResult(status=status_of(word, STATUSES), detail=word)
        if isinstance(status.get("queue_position"), int):
            result.queue_position = status["queue_position"]
        error = status.get("error")
        if result.status is RemoteStatus.SUCCEEDED and error:
            # COMPLETED with error/error_type is how fal reports a failed run (docs/providers.md "fal: queue")
            code = status.get("error_type") if isinstance(status.get("error_type"), str) else None
            if code and "cancel" in code.lower():
                # how fal reports a cancelled request is UNCONFIRMED; an error type naming the
                # cancellation is the user's own cancel, not a failure
                result.status = RemoteStatus.CANCELLED
                return result
            result.status = RemoteStatus.FAILED
            result.error = job_failure(str(error), self.info.label, code=code)
        elif result.status is RemoteStatus.FAILED:
            result.error = job_failure(str(error or ""), self.info.label)
        elif result.status is RemoteStatus.SUCCEEDED:
            self._fetch_result(urls["response"], result)
        return result

    def _fetch_result(self, response_url: str, result: PollResult) -> None:
        try:
            body = self.transport.request_json("GET", response_url, idempotent=True).body
        except (BadInput, ProviderError) as exc:
            # fal reports input validation of a finished run when the result is fetched (422 detail list):
            # the job failed, the poll itself did not
            result.status, result.error = RemoteStatus.FAILED, exc
            return
        if not isinstance(body, Mapping):
            raise BadResponse(f"{self.info.label} sent a result that is not a JSON object.")
        result.outputs = output_refs(body.get("images"))
        result.usage = usage_from(body.get("usage"))
        if not result.outputs:
            result.status = RemoteStatus.FAILED
            result.error = ProviderError(f"{self.info.label} finished the request but sent no image.")

    def cancel(self, handle: RemoteHandle) -> None:
        url = handle.urls.get("cancel")
        if not url:
            return
        try:
            self.transport.request_json("PUT", url, idempotent=True)
        except BadInput as exc:
            # 400 ALREADY_COMPLETED: nothing left to cancel, which is fine for a best-effort cancel
            if "already" not in str(exc).lower():
                raise
