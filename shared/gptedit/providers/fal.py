"""fal: the queue API with `openai/gpt-image-2/edit` (docs/providers.md "fal").

The submit answer carries the status, result and cancel URLs. They drop the endpoint's sub-path
(`openai/gpt-image-2/edit` → `.../openai/gpt-image-2/requests/{id}`, docs/providers.md "fal: queue"),
so they are kept in the handle and always used as given rather than rebuilt.

Images: small ones go inline as data URLs, bigger ones through fal's storage first, the way the official
`fal_client` uploads (https://docs.fal.ai/documentation/model-apis/fal-cdn recommends its CDN and names no
inline limit, so Replicate's documented 256 KB stands in): a short-lived CDN token from
`POST {rest}/storage/auth/token?storage_type=fal-cdn-v3` (the key goes to fal's REST host, as fal_client
sends it), then `POST {cdn}/files/upload` with the bytes and that token, never the key. When that fails,
fal_client's other route: `POST {rest}/storage/upload/initiate` and a plain PUT to the signed address.
With the default base URL the hosts are fal's (`rest.fal.ai`, `v3.fal.media`); with any other base URL
(a gateway, the sandbox) both routes go to the base URL itself.

Masks: fal's model page does not say whether `mask_url` is read by alpha (OpenAI's convention) or by
brightness (white = edit, as https://docs.oxen.ai and https://docs.eden.art describe fal's endpoint), so
the mask is rewritten to read the same both ways: the edit area white and transparent, the rest black and
opaque.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from ..errors import (
    BadInput,
    BadResponse,
    GptEditError,
    NetworkError,
    ProviderError,
    RequestTimeout,
    ServerError,
    SubmissionUnknown,
)
from ..http_policy import validation_item
from ..models import EditRequest, ImageInput, PollResult, RemoteHandle, RemoteStatus, Size, Submission
from ..pngio import decode_png, encode_png
from ..transport import ErrorDetail, Transport, generic_error_detail
from .base import Candidate, CreatedQuery, SubmitListener
from .common import HTTPProvider, data_url, image_info, job_failure, output_refs, status_of, usage_from
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

#: fal's Platform API, where an account's requests to a model endpoint are listed
#: (https://fal.ai/docs/platform-apis/v1/models/requests/by-endpoint). It lives on another host than the
#: queue; the same key authenticates both ("Authorization: Key …").
PLATFORM_URL = "https://api.fal.ai/v1"
#: requests per page of the history: each carries its input, images included as data URLs
HISTORY_PAGE = 10

#: fal's storage hosts, as fal_client names them (`REST_URL`, `CDN_URL` in fal_client/client.py)
REST_URL = "https://rest.fal.ai"
CDN_URL = "https://v3.fal.media"
#: the largest image sent inline; above it the image is uploaded to fal's storage first
INLINE_LIMIT = 256 * 1024
#: how long fal keeps an uploaded input: the model reads it within minutes, a day covers long queues
#: without leaving the picture online for the storage's default lifetime
UPLOAD_LIFETIME_S = 86_400

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
            types = [
                d.get("type") for d in detail if isinstance(d, Mapping) and isinstance(d.get("type"), str)
            ]
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


def expected_input(described: Mapping) -> dict:
    """The fields `create_payload` sent for a request the ledger describes, minus the images (the ledger
    keeps no pixels): what a listed request's input must agree with to be ours."""
    out: dict[str, Any] = {"prompt": prompt_of(described)}
    size = Size.parse(str(described.get("size") or "auto"))
    out["image_size"] = "auto" if size is None else {"width": size.width, "height": size.height}
    for key, name in (("n", "num_images"), ("output_format", "output_format"), ("background", "background")):
        if described.get(key) is not None:
            out[name] = described[key]
    if described.get("quality") is not None:
        out["quality"] = described["quality"]  # sent always, "auto" included
    return out


_EDIT_RGB = b"\xff" + b"\x00" * 255  # alpha 0 (edit) → white, anything else → black
_KEEP_ALPHA = b"\x00" + b"\xff" * 255  # alpha 0 (edit) → transparent, anything else → opaque


def dual_reading_mask(png: bytes) -> bytes:
    """An OpenAI mask (alpha 0 = edit) rewritten so it also reads right by brightness: edit area white and
    transparent, kept area black and opaque."""
    img = decode_png(png)
    if img.channels == 4:
        alpha = img.pixels[3::4]
    elif img.channels == 2:
        alpha = img.pixels[1::2]
    else:
        alpha = b"\xff" * (img.width * img.height)  # no alpha: OpenAI would edit nothing either
    edit = bytes(alpha).translate(_EDIT_RGB)
    rgba = bytearray(len(edit) * 4)
    rgba[0::4] = rgba[1::4] = rgba[2::4] = edit
    rgba[3::4] = bytes(alpha).translate(_KEEP_ALPHA)
    return encode_png(img.width, img.height, bytes(rgba), 4)


def _expiry(text: Any) -> float:
    """Seconds from now until an ISO time (a token's `expires_at`); 5 minutes when unreadable."""
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when.timestamp() - time.time()
    except ValueError:
        return 300.0


class FalProvider(HTTPProvider):
    name = "fal"
    can_cancel = True
    can_stream = False
    # `{status_url}/stream` holds the request open until the status changes (docs/providers.md "fal: queue")
    can_hold_poll = True
    # the Platform API lists the account's requests to an endpoint with their input (`expand=payloads`);
    # the queue takes no client-chosen request id or metadata, so ours is recognised by endpoint, time and
    # input
    can_find_created = True
    lookup_later = (
        "fal's history may list a request only once it has ended: if it is still running, a "
        "later `jobs resume` finds it."
    )
    error_detail = staticmethod(error_detail)

    def __init__(self, config, *, platform_url: str | None = None, **kw):
        super().__init__(config, **kw)
        self.platform_url = platform_url or platform_url_for(self.base_url, self.info.default_base_url)
        self._platform: Transport | None = None
        self._rest: Transport | None = None
        #: (Authorization value for the CDN, monotonic time it stops being used)
        self._token: tuple[str, float] | None = None

    def create_payload(
        self,
        request: EditRequest,
        image_urls: list[str] | None = None,
        mask_url: str | None = None,
        markup_url: str | None = None,
    ) -> dict:
        body: dict[str, Any] = {
            "prompt": request.prompt.strip(),
            "image_urls": image_urls if image_urls is not None else [data_url(img) for img in request.images],
            "image_size": "auto"
            if request.size is None
            else {"width": request.size.width, "height": request.size.height},
            "num_images": request.n,
            "output_format": request.output_format.value,
            "background": request.background.value,
            # "auto" is in the quality enum of fal's page (auto | low | medium | high); left out, fal would
            # use its default, high, the dearest
            "quality": request.quality.value,
        }
        if request.mask is not None:
            # the field name LiteLLM's fal adapter uses (docs/providers.md "fal: model inputs")
            body["mask_url"] = mask_url or data_url(self.mask_input(request.mask))
        if request.markup is not None:
            # fal's name for the overlay, as a published fal skill for GPT Image markup edits uses it
            # (https://skills.sh, varghq gpt-image-markup-edit); no built-in fal endpoint takes markup yet, a
            # models.json entry can enable it (UNCONFIRMED)
            body["markup_image_url"] = markup_url or data_url(request.markup)
        if request.complexity is not None:
            body["complexity"] = request.complexity.value
        return body

    @staticmethod
    def mask_input(mask: ImageInput) -> ImageInput:
        return ImageInput(dual_reading_mask(mask.data), "image/png", mask.width, mask.height, mask.name)

    # --- storage ---------------------------------------------------------------------------------------

    def storage_hosts(self) -> tuple[str, str]:
        """(REST host, CDN host) for uploads."""
        if self.base_url.rstrip("/") == self.info.default_base_url.rstrip("/"):
            return REST_URL, CDN_URL
        return self.base_url, self.base_url

    @property
    def rest(self) -> Transport:
        """The transport for fal's REST host, which takes the key like the queue does."""
        rest_url = self.storage_hosts()[0]
        if rest_url == self.base_url:
            return self.transport
        if self._rest is None:
            self._rest = self._new_transport(rest_url, self.read_timeout)
        return self._rest

    def _cdn_token(self) -> str:
        """`Authorization` value for the CDN, from a token kept until shortly before it expires."""
        cached = self._token
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        body = self.rest.request_json(
            "POST", "/storage/auth/token?storage_type=fal-cdn-v3", json={}, idempotent=True
        ).body
        if not isinstance(body, Mapping) or not body.get("token"):
            raise BadResponse(f"{self.info.label} sent no upload token.")
        header = f"{body.get('token_type') or 'Bearer'} {body['token']}"
        self._token = (header, time.monotonic() + max(0.0, _expiry(body.get("expires_at")) - 60.0))
        return header

    def upload(self, data: bytes, mime: str, name: str, progress=None) -> str:
        """Put one file on fal's storage and return its URL (fal_client's CDN route, then its fallback)."""
        lifecycle = json.dumps({"expiration_duration_seconds": UPLOAD_LIFETIME_S})
        try:
            headers = {
                "Authorization": self._cdn_token(),
                "Content-Type": mime,
                "X-Fal-File-Name": name,
                "X-Fal-Object-Lifecycle": lifecycle,
            }
            raw = self.transport.upload(
                self.storage_hosts()[1] + "/files/upload", data, headers, progress=progress, method="POST"
            )
            url = json.loads(raw or b"{}").get("access_url")
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                return url
            raise BadResponse(f"{self.info.label} stored the image but sent no address for it.")
        except (GptEditError, ValueError, AttributeError):
            pass  # fal_client falls back to the storage route on any failure of the CDN route
        init = self.rest.request_json(
            "POST",
            "/storage/upload/initiate?storage_type=gcs",
            idempotent=True,
            json={"file_name": name, "content_type": mime},
            headers={"X-Fal-Object-Lifecycle-Preference": lifecycle},
        ).body
        if not isinstance(init, Mapping) or not init.get("upload_url") or not init.get("file_url"):
            raise BadResponse(f"{self.info.label} did not return an upload address for the image.")
        self.transport.upload(str(init["upload_url"]), data, {"Content-Type": mime}, progress=progress)
        return str(init["file_url"])

    def inputs(
        self, request: EditRequest, listener: SubmitListener | None
    ) -> tuple[list[str], dict[str, str]]:
        """The image URLs, and the mask's and markup's (under "mask", "markup"): inline when small,
        uploaded when not."""
        extra = {
            "mask": self.mask_input(request.mask) if request.mask is not None else None,
            "markup": request.markup,
        }
        items = [(f"image{i}", img) for i, img in enumerate(request.images)]
        items += [(kind, img) for kind, img in extra.items() if img is not None]
        total = sum(len(img.data) for _, img in items if len(img.data) > INLINE_LIMIT) or 1
        done = 0
        urls: dict[str, str] = {}
        for kind, item in items:
            if len(item.data) <= INLINE_LIMIT:
                urls[kind] = data_url(item)
                continue
            info = image_info(item, "image")
            # a header carries the name (X-Fal-File-Name), so only ASCII letters, digits, "-" and "_" survive
            stem = re.sub(r"[^A-Za-z0-9_-]+", "_", (item.name or "").rsplit(".", 1)[0]).strip("_") or kind

            def progress(frac: float, base: int = done, size: int = len(item.data)) -> None:
                self.notify(listener, "upload", min(1.0, (base + frac * size) / total))

            urls[kind] = self.upload(item.data, info.mime, f"{stem}.{info.extension}", progress)
            done += len(item.data)
        images = [urls[f"image{i}"] for i in range(len(request.images))]
        return images, {k: urls[k] for k in extra if k in urls}

    def submit(self, request: EditRequest, listener: SubmitListener | None = None) -> Submission:
        self.check(request)
        image_urls, other = self.inputs(request, listener)
        resp = self.transport.request_json(
            "POST",
            "/" + request.model.strip("/"),
            idempotent=False,
            json=self.create_payload(request, image_urls, other.get("mask"), other.get("markup")),
        )
        body = resp.body if isinstance(resp.body, Mapping) else {}
        rid = body.get("request_id")
        if not isinstance(rid, str) or not rid:
            raise SubmissionUnknown(
                f"{self.info.label} accepted the edit but sent no request id, so it cannot "
                "be followed. Check the fal dashboard before trying again.",
                request_id=resp.request_id,
            )
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
            with self.transport.open_stream(
                "GET", status_url.rstrip("/") + "/stream", idempotent=True, read_timeout=max(1.0, wait)
            ) as stream:
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
            resp = self.transport.request_json(
                "GET", response_url, idempotent=True, answer_statuses=tuple(range(500, 600))
            )
        except (BadInput, ProviderError) as exc:
            # fal reports input validation of a finished run when the result is fetched (422 detail list):
            # the job failed, the poll itself did not
            result.status, result.error = RemoteStatus.FAILED, exc
            return
        body = resp.body
        if resp.status >= 500:
            # A finished request's result is fixed: a 5xx naming an `error_type` (504 request_timeout …)
            # is how the run ended, and asking again would only repeat it (fal docs, model-apis/
            # request-errors). Without one it is a gateway hiccup and the job layer polls again.
            detail = error_detail(body)
            code = detail.code or resp.headers.get("x-fal-error-type")
            if not code:
                raise ServerError(
                    f"{self.info.label} had a server error fetching the result (HTTP "
                    f"{resp.status}). Try again later.",
                    status=resp.status,
                    request_id=resp.request_id,
                )
            result.status = RemoteStatus.FAILED
            result.error = job_failure(detail.message or code.replace("_", " "), self.info.label, code=code)
            return
        if not isinstance(body, Mapping):
            raise BadResponse(f"{self.info.label} sent a result that is not a JSON object.")
        result.outputs = output_refs(body.get("images"))
        result.usage = usage_from(body.get("usage"))
        if not result.outputs:
            result.status = RemoteStatus.FAILED
            result.error = ProviderError(f"{self.info.label} finished the request but sent no image.")

    # --- finding a request whose submit answer was lost ------------------------------------------------
    @property
    def platform(self) -> Transport:
        if self._platform is None:
            self._platform = self._new_transport(self.platform_url, LIST_READ_TIMEOUT)
        return self._platform

    def find_created(self, query: CreatedQuery) -> list[Candidate]:
        # UNCONFIRMED whether the history shows a request before it has ended (it sorts by end time):
        # one that is still running may be missing now and listed on a later look. The time filter is
        # applied from `start` only, so a request that ended long after it was sent is still included.
        # https://fal.ai/docs/platform-apis/v1/models/requests/by-endpoint
        params = {
            "endpoint_id": query.model.strip("/"),
            "start": iso(query.sent_after),
            "expand": "payloads",
            "limit": HISTORY_PAGE,
        }
        found: list[Candidate] = []
        cursor = None
        for _ in range(MAX_LIST_PAGES):
            page = {**params, "cursor": cursor} if cursor else params
            url = "/models/requests/by-endpoint?" + urlencode(page)
            body = self.platform.request_json("GET", url, idempotent=True, max_bytes=LIST_MAX_BYTES).body
            if not isinstance(body, Mapping) or not isinstance(body.get("items", []), list):
                raise BadResponse(f"{self.info.label} sent a request history that is not a page of items.")
            for item in body.get("items") or []:
                candidate = self._listed(item)
                if candidate is not None and self.could_be(query, candidate):
                    found.append(candidate)
            cursor = body.get("next_cursor")
            if not body.get("has_more") or not isinstance(cursor, str) or not cursor:
                break
        return found

    def _listed(self, item: Any) -> Candidate | None:
        if (
            not isinstance(item, Mapping)
            or not item.get("request_id")
            or not isinstance(item["request_id"], str)
        ):
            return None
        rid = item["request_id"]
        endpoint = str(item.get("endpoint_id") or "").strip("/")
        app = "/".join(endpoint.split("/")[:2])
        base = self.transport.url(f"/{app}/requests/{rid}")
        handle = RemoteHandle(
            self.name, rid, {"status": base + "/status", "response": base, "cancel": base + "/cancel"}
        )
        sent = parse_time(item.get("sent_at")) or parse_time(item.get("started_at"))
        code = item.get("status_code")
        status = f"ended (HTTP {code})" if isinstance(code, int) else "listed"
        facts = {
            "endpoint_id": endpoint,
            "input": item.get("json_input") if isinstance(item.get("json_input"), Mapping) else {},
        }
        return Candidate(handle, sent, status, facts)

    def could_be(self, query: CreatedQuery, candidate: Candidate) -> bool:
        if candidate.facts.get("endpoint_id") != query.model.strip("/"):
            return False
        if not in_window(query, candidate.created_at):
            return False
        shown = candidate.facts.get("input") or {}
        images = query.request.get("images") or []
        if (
            isinstance(shown, Mapping)
            and "mask_url" in shown
            and bool(shown["mask_url"]) != bool(query.request.get("mask"))
        ):
            return False
        sent = shown.get("image_urls") if isinstance(shown, Mapping) else None
        return (
            agrees(expected_input(query.request), shown)
            and image_count_agrees(len(images), sent)
            and image_sizes_agree(images, sent)
        )

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
        except ProviderError as exc:
            # 404 NOT_FOUND (fal docs, queue/cancel): fal no longer knows the request; nothing to cancel
            if exc.status != 404:
                raise


def platform_url_for(base_url: str, default_base_url: str) -> str:
    """fal's Platform API for the queue at `base_url`: fal's own for fal's queue (the key goes only to
    fal's documented hosts); under the configured base (`{base}/v1`) for a gateway or the sandbox, so
    the key never leaves for a host the user did not choose."""
    if base_url.rstrip("/") == default_base_url.rstrip("/"):
        return PLATFORM_URL
    return base_url.rstrip("/") + "/v1"
