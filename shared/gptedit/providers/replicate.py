"""Replicate: official-model predictions with `Prefer: wait` (docs/providers.md "Replicate").

Images go inline as data URLs. Replicate recommends hosted URLs above ~256 KB, but accepts larger data
URLs (docs/providers.md "Replicate: predictions"), and a desktop plugin has nowhere to host the layer, so data
URLs it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import BadResponse, OutputExpired, ProviderError, SubmissionUnknown
from ..models import EditRequest, PollResult, RemoteHandle, RemoteStatus, Size, Submission
from ..transport import ErrorDetail, generic_error_detail
from .base import ProviderConfig, SubmitListener
from .common import HTTPProvider, data_url, image_info, job_failure, output_refs, status_of

STATUSES = {
    # "starting" is the model booting for this prediction; for the user it is already "working"
    "starting": RemoteStatus.RUNNING,
    "processing": RemoteStatus.RUNNING,
    "succeeded": RemoteStatus.SUCCEEDED,
    "failed": RemoteStatus.FAILED,
    "canceled": RemoteStatus.CANCELLED,
    "cancelled": RemoteStatus.CANCELLED,
    # a Cancel-After deadline hit before the prediction started (docs/providers.md "Replicate:
    # predictions")
    "aborted": RemoteStatus.CANCELLED,
}

#: Replicate takes aspect ratios, not pixel sizes (docs/providers.md "Replicate: model inputs")
ASPECT_RATIOS = {
    Size(1024, 1024): "1:1",
    Size(1536, 1024): "3:2",
    Size(1024, 1536): "2:3",
}


def error_detail(body: Any) -> ErrorDetail:
    """RFC 7807 problem+json `{"title", "detail", "status"}`; validation errors add `invalid_fields`."""
    if isinstance(body, Mapping):
        detail = body.get("detail") if isinstance(body.get("detail"), str) else None
        title = body.get("title") if isinstance(body.get("title"), str) else None
        fields = body.get("invalid_fields")
        if isinstance(fields, list):
            extra = "; ".join(
                f"{f.get('field')}: {f.get('description')}" for f in fields if isinstance(f, Mapping))
            if extra:
                detail = f"{detail or title or 'invalid input'} ({extra})"
        if detail or title:
            return ErrorDetail(detail or title)
    return generic_error_detail(body)


def aspect_ratio(request: EditRequest) -> str:
    if request.size is not None:
        return ASPECT_RATIOS.get(request.size, "1:1")
    # "auto": the ratio closest to the picture being edited, so the result lines up with it
    info = image_info(request.images[0], "image to edit")
    # compared on a log scale so a portrait picture and its landscape mirror choose mirrored ratios
    ratio = math.log(info.width / info.height)
    return min(("1:1", 1.0), ("3:2", 1.5), ("2:3", 2 / 3), key=lambda r: abs(math.log(r[1]) - ratio))[0]


def parse_prediction(body: Any, label: str = "Replicate") -> PollResult:
    if not isinstance(body, Mapping):
        raise BadResponse(f"{label} sent a prediction that is not a JSON object.")
    word = str(body.get("status") or "")
    result = PollResult(status=status_of(word, STATUSES), detail=word)
    if result.status is RemoteStatus.SUCCEEDED:
        result.outputs = output_refs(body.get("output"))
        if not result.outputs:
            result.status = RemoteStatus.FAILED
            if body.get("data_removed"):
                # inputs and outputs of API predictions are deleted after an hour (docs/providers.md
                # "Replicate: predictions")
                result.error = OutputExpired(f"{label} already deleted the result (it keeps outputs for about "
                                             "an hour). Run the edit again.")
            else:
                result.error = ProviderError(f"{label} finished the prediction but sent no image.")
    elif result.status is RemoteStatus.FAILED:
        error = body.get("error")
        result.error = job_failure(error if isinstance(error, str) else str(error or ""), label)
    return result


class ReplicateProvider(HTTPProvider):
    name = "replicate"
    can_cancel = True
    can_stream = False
    error_detail = staticmethod(error_detail)

    def __init__(self, config: ProviderConfig, *, wait: int = 60, **kw):
        # the server may hold the create for `wait` s (1-60, docs/providers.md "Replicate: create and wait");
        # the read timeout must outlast it
        self.wait = max(1, min(60, int(wait)))
        kw.setdefault("read_timeout", max(config.read_timeout, self.wait + 30.0))
        super().__init__(config, **kw)

    def create_payload(self, request: EditRequest) -> dict:
        return {
            "input": {
                "prompt": request.prompt.strip(),
                "input_images": [data_url(img) for img in request.images],
                "aspect_ratio": aspect_ratio(request),
                "number_of_images": request.n,
                "quality": request.quality.value,
                "background": request.background.value,
                "output_format": request.output_format.value,
            }
        }

    def _handle(self, body: Mapping) -> RemoteHandle:
        pid = body.get("id")
        if not isinstance(pid, str) or not pid:
            raise SubmissionUnknown(
                f"{self.info.label} accepted the edit but sent no prediction id, so it cannot be followed. "
                "Check the Replicate dashboard before trying again.")
        urls = {"get": self.transport.url(f"/v1/predictions/{pid}")}
        urls["cancel"] = urls["get"] + "/cancel"
        given = body.get("urls")
        if isinstance(given, Mapping):
            for key in ("get", "cancel", "web"):
                value = given.get(key)
                # API URLs only when on the configured origin (a gateway base URL stays in the path)
                if isinstance(value, str) and (key == "web" or self.transport.is_api_origin(value)):
                    urls[key] = value
        return RemoteHandle(self.name, pid, urls)

    def submit(self, request: EditRequest, listener: SubmitListener | None = None) -> Submission:
        self.check(request)
        owner, _, model = request.model.partition("/")
        resp = self.transport.request_json(
            "POST", f"/v1/models/{owner}/{model}/predictions", json=self.create_payload(request),
            headers={"Prefer": f"wait={self.wait}"}, idempotent=False)
        if not isinstance(resp.body, Mapping):
            raise SubmissionUnknown(f"{self.info.label} accepted the edit but its answer was empty. "
                                    "Check the Replicate dashboard before trying again.")
        handle = self._handle(resp.body)
        result = parse_prediction(resp.body, self.info.label)
        # with Prefer: wait the prediction may already be finished; otherwise the job layer polls
        return Submission(handle, result if result.status.terminal else None)

    def poll(self, handle: RemoteHandle, wait: float = 0.0) -> PollResult:
        # `Prefer: wait` is documented for creating predictions only (docs/providers.md "Replicate: create and
        # wait"), so `wait` is not used here
        url = handle.urls.get("get") or f"/v1/predictions/{handle.remote_id}"
        return parse_prediction(self.transport.request_json("GET", url, idempotent=True).body, self.info.label)

    def cancel(self, handle: RemoteHandle) -> None:
        url = handle.urls.get("cancel") or f"/v1/predictions/{handle.remote_id}/cancel"
        self.transport.request_json("POST", url, idempotent=True)
