"""Replicate: official-model predictions with `Prefer: wait` (docs/providers.md "Replicate").

Small images go inline as data URLs; bigger ones are uploaded first through Replicate's Files API
(`POST /v1/files`, multipart part `content`) and passed by the file's `urls.get`, which is what the official
client does for every file. Replicate recommends data URLs only for small files (its Python SDK inlines up
to 256 KB, https://github.com/replicate/replicate-python-beta, and its docs say "less than 1MB",
https://replicate.com/docs/topics/predictions/input-files), and large inline bodies are refused with 413
(https://github.com/replicate/replicate-python/issues/68).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from ..errors import BadResponse, OutputExpired, ProviderError, SubmissionUnknown
from ..models import EditRequest, PollResult, RemoteHandle, RemoteStatus, Size, Submission
from ..transport import ErrorDetail, generic_error_detail
from .base import Candidate, CreatedQuery, ProviderConfig, SubmitListener
from .common import HTTPProvider, data_url, image_info, job_failure, output_refs, status_of
from .lookup import (
    LIST_MAX_BYTES,
    LIST_READ_TIMEOUT,
    MAX_LIST_PAGES,
    agrees,
    image_count_agrees,
    image_sizes_agree,
    in_window,
    iso,
    parse_time,
    prompt_of,
)
from .schemas import FETCH_ATTEMPTS, FETCH_TIMEOUT_S, LiveSchema, SchemaCache, from_replicate_model

#: the largest image sent inline; above it the image goes through the Files API
INLINE_LIMIT = 256 * 1024

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
                f"{f.get('field')}: {f.get('description')}" for f in fields if isinstance(f, Mapping)
            )
            if extra:
                detail = f"{detail or title or 'invalid input'} ({extra})"
        if detail or title:
            return ErrorDetail(detail or title)
    return generic_error_detail(body)


def aspect_ratio(request: EditRequest) -> str:
    if request.size is not None:
        return ASPECT_RATIOS.get(request.size, "1:1")
    info = image_info(request.images[0], "image to edit")
    return nearest_ratio(info.width, info.height)


def nearest_ratio(width: int, height: int) -> str:
    """For "auto": the ratio closest to the picture being edited, so the result lines up with it."""
    # compared on a log scale so a portrait picture and its landscape mirror choose mirrored ratios
    ratio = math.log(width / height)
    return min(("1:1", 1.0), ("3:2", 1.5), ("2:3", 2 / 3), key=lambda r: abs(math.log(r[1]) - ratio))[0]


def expected_input(described: Mapping) -> dict:
    """The `input` fields `create_payload` sent for a request the ledger describes, minus the images
    (the ledger keeps no pixels): what a listed prediction must agree with to be ours."""
    out: dict[str, Any] = {"prompt": prompt_of(described)}
    size = Size.parse(str(described.get("size") or "auto"))
    images = described.get("images") or []
    first = images[0] if images and isinstance(images[0], Mapping) else {}
    if size is not None:
        out["aspect_ratio"] = ASPECT_RATIOS.get(size, "1:1")
    elif first.get("width") and first.get("height"):
        out["aspect_ratio"] = nearest_ratio(int(first["width"]), int(first["height"]))
    for key, name in (
        ("n", "number_of_images"),
        ("quality", "quality"),
        ("background", "background"),
        ("output_format", "output_format"),
    ):
        if described.get(key) is not None:
            out[name] = described[key]
    return out


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
                result.error = OutputExpired(
                    f"{label} already deleted the result (it keeps outputs for about "
                    "an hour). Run the edit again."
                )
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
    # `GET /v1/predictions` lists the account's predictions, newest first, 100 a page, with a `next`
    # cursor URL; `created_after` / `created_before` narrow it
    # (https://replicate.com/docs/reference/http#predictions.list, replicate-python-beta
    # `prediction_list_params.py`). Predictions take no client-chosen id or metadata, so ours is
    # recognised by model, creation time and its input.
    can_find_created = True
    error_detail = staticmethod(error_detail)

    def __init__(
        self, config: ProviderConfig, *, wait: int = 60, schema_cache: SchemaCache | None = None, **kw
    ):
        # the server may hold the create for `wait` s (1-60, docs/providers.md "Replicate: create and wait");
        # the read timeout must outlast it
        self.wait = max(1, min(60, int(wait)))
        kw.setdefault("read_timeout", max(config.read_timeout, self.wait + 30.0))
        super().__init__(config, **kw)
        self.schemas = schema_cache or SchemaCache()

    def live_schema(self, request: EditRequest) -> LiveSchema | None:
        """The model's latest version's input schema (`GET /v1/models/{owner}/{name}`, free), kept a day;
        None when it cannot be had."""
        owner, _, name = request.model.partition("/")

        def fetch() -> Any:
            return self.transport.request_json(
                "GET",
                f"/v1/models/{owner}/{name}",
                idempotent=True,
                read_timeout=FETCH_TIMEOUT_S,
                attempts=FETCH_ATTEMPTS,
            ).body

        return from_replicate_model(
            f"{self.info.label} {request.model}",
            self.schemas.get(self.name, self.base_url, request.model, fetch),
        )

    def create_payload(self, request: EditRequest, image_urls: list[str] | None = None) -> dict:
        return {
            "input": {
                "prompt": request.prompt.strip(),
                "input_images": image_urls
                if image_urls is not None
                else [data_url(img) for img in request.images],
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
                "Check the Replicate dashboard before trying again."
            )
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

    def upload_file(self, data: bytes, name: str, mime: str) -> str:
        """`POST /v1/files` → the file's API URL, which predictions accept as an input. Uploading costs
        nothing and can be repeated, so it is retried like a read."""
        body = self.transport.request_json(
            "POST", "/v1/files", files={"content": (name, data, mime)}, idempotent=True
        ).body
        urls = body.get("urls") if isinstance(body, Mapping) else None
        url = urls.get("get") if isinstance(urls, Mapping) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise BadResponse(f"{self.info.label} stored the image but sent no address for it.")
        return url

    def input_urls(self, request: EditRequest, listener: SubmitListener | None) -> list[str]:
        """Each image as a data URL when small, else uploaded; progress counts the uploaded bytes."""
        big = [len(img.data) for img in request.images if len(img.data) > INLINE_LIMIT]
        total, done = sum(big) or 1, 0
        out: list[str] = []
        for i, img in enumerate(request.images):
            if len(img.data) <= INLINE_LIMIT:
                out.append(data_url(img))
                continue
            info = image_info(img, "image")
            stem = (img.name or "").rsplit(".", 1)[0] or f"image{i}"
            out.append(self.upload_file(img.data, f"{stem}.{info.extension}", info.mime))
            done += len(img.data)
            self.notify(listener, "upload", done / total)
        return out

    def submit(self, request: EditRequest, listener: SubmitListener | None = None) -> Submission:
        self.check(request)
        owner, _, model = request.model.partition("/")
        schema = self.live_schema(request)
        if schema is not None:
            # a value the published schema does not list is refused before anything is uploaded or paid
            schema.check(self.create_payload(request, [])["input"])
        payload = self.create_payload(request, self.input_urls(request, listener))
        resp = self.transport.request_json(
            "POST",
            f"/v1/models/{owner}/{model}/predictions",
            json=payload,
            headers={"Prefer": f"wait={self.wait}"},
            idempotent=False,
        )
        if not isinstance(resp.body, Mapping):
            raise SubmissionUnknown(
                f"{self.info.label} accepted the edit but its answer was empty. "
                "Check the Replicate dashboard before trying again."
            )
        handle = self._handle(resp.body)
        result = parse_prediction(resp.body, self.info.label)
        # with Prefer: wait the prediction may already be finished; otherwise the job layer polls
        return Submission(handle, result if result.status.terminal else None)

    def poll(self, handle: RemoteHandle, wait: float = 0.0) -> PollResult:
        # `Prefer: wait` is documented for creating predictions only (docs/providers.md "Replicate: create and
        # wait"), so `wait` is not used here
        url = handle.urls.get("get") or f"/v1/predictions/{handle.remote_id}"
        return parse_prediction(
            self.transport.request_json("GET", url, idempotent=True).body, self.info.label
        )

    def cancel(self, handle: RemoteHandle) -> None:
        url = handle.urls.get("cancel") or f"/v1/predictions/{handle.remote_id}/cancel"
        self.transport.request_json("POST", url, idempotent=True)

    # --- finding a prediction whose create answer was lost --------------------------------------------
    def find_created(self, query: CreatedQuery) -> list[Candidate]:
        # The filters are in the newer API reference; an API that ignores them still lists newest first,
        # so the walk also stops at the first page that reaches back before the window.
        url = "/v1/predictions?" + urlencode(
            {"created_after": iso(query.sent_after), "created_before": iso(query.sent_before + 1)}
        )
        found: list[Candidate] = []
        for _ in range(MAX_LIST_PAGES):
            body = self.transport.request_json(
                "GET", url, idempotent=True, read_timeout=LIST_READ_TIMEOUT, max_bytes=LIST_MAX_BYTES
            ).body
            if not isinstance(body, Mapping) or not isinstance(body.get("results", []), list):
                raise BadResponse(f"{self.info.label} sent a prediction list that is not a page of results.")
            reached_back = False
            for item in body.get("results") or []:
                candidate = self._listed(item)
                if candidate is None:
                    continue
                if candidate.created_at is not None and candidate.created_at < query.sent_after:
                    reached_back = True
                    continue
                if self._same_model_and_time(query, candidate) and "prompt" not in candidate.facts["input"]:
                    candidate = self._looked_up(candidate)
                if self.could_be(query, candidate):
                    found.append(candidate)
            nxt = body.get("next")
            if reached_back or not isinstance(nxt, str) or not nxt:
                break
            if not self.transport.is_api_origin(self.transport.url(nxt)):
                break  # a cursor pointing elsewhere would not get the key; stop rather than follow it
            url = nxt
        return found

    def _listed(self, item: Any) -> Candidate | None:
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str) or not item["id"]:
            return None
        facts = {
            "model": item.get("model"),
            "created_at": item.get("created_at"),
            "source": item.get("source"),
            "input": item.get("input") if isinstance(item.get("input"), Mapping) else {},
        }
        return Candidate(
            self._handle(item), parse_time(item.get("created_at")), str(item.get("status") or ""), facts
        )

    def _looked_up(self, candidate: Candidate) -> Candidate:
        """A listing without the input: the prediction itself has it (a free GET)."""
        url = candidate.handle.urls.get("get") or f"/v1/predictions/{candidate.handle.remote_id}"
        body = self.transport.request_json(
            "GET", url, idempotent=True, read_timeout=LIST_READ_TIMEOUT, max_bytes=LIST_MAX_BYTES
        ).body
        return self._listed(body) or candidate

    @staticmethod
    def _same_model_and_time(query: CreatedQuery, candidate: Candidate) -> bool:
        return candidate.facts.get("model") == query.model and in_window(query, candidate.created_at)

    def could_be(self, query: CreatedQuery, candidate: Candidate) -> bool:
        facts = candidate.facts
        if not self._same_model_and_time(query, candidate):
            return False
        if facts.get("source") not in (None, "api"):
            return False  # made on the website, not by a client like this one
        shown = facts.get("input") or {}
        images = query.request.get("images") or []
        return (
            agrees(expected_input(query.request), shown)
            and image_count_agrees(len(images), shown.get("input_images"))
            and image_sizes_agree(images, shown.get("input_images"))
        )
