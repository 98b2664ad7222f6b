"""each::labs: upload the layer to each::storage, create a prediction, poll it (docs/providers.md
"each::labs").

each::labs accepts images only as public https URLs ("Data-URIs and localhost are rejected",
docs/providers.md "each::labs: uploads"), so every input goes through the presign → PUT flow first. Only
`POST /v1/prediction` costs money; presign, upload, status and cancel are safe to repeat.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from ..errors import BadResponse, ProviderError, SubmissionUnknown, Unsupported
from ..geometry import best_custom_size, closest_fixed_size
from ..models import (
    EditRequest,
    PollResult,
    Quality,
    RemoteHandle,
    RemoteStatus,
    Size,
    Submission,
)
from ..transport import ErrorDetail, generic_error_detail
from .base import ProviderConfig, SubmitListener
from .common import HTTPProvider, image_info, job_failure, output_refs, status_of
from .schemas import FETCH_ATTEMPTS, FETCH_TIMEOUT_S, LiveSchema, SchemaCache, from_json_schema

#: `version` is "deprecated, ignored" per the OpenAPI spec but "required" per the docs table; every GPT-image
#: example sends "0.0.1" (docs/providers.md "each::labs: creating a prediction")
VERSION = "0.0.1"
#: how long each::storage keeps the uploaded layer. The model reads it within minutes of the create; a day
#: covers long queues without leaving the user's picture online for the 180-day default (docs/providers.md
#: "each::labs: uploads")
UPLOAD_RETENTION_S = 86_400

#: values that change nothing when a field the live schema does not list is left out
_NEUTRAL: dict[str, tuple[Any, ...]] = {
    "background": ("auto",),
    "num_images": (1,),
    "output_format": ("png",),
    "image_size": ("1024x1024",),
}

STATUSES = {
    "created": RemoteStatus.QUEUED,
    "queued": RemoteStatus.QUEUED,
    "starting": RemoteStatus.RUNNING,
    "processing": RemoteStatus.RUNNING,
    "success": RemoteStatus.SUCCEEDED,
    # the webhook vocabulary (docs/providers.md "each::labs: cancel"), accepted in case it leaks
    "succeeded": RemoteStatus.SUCCEEDED,
    # the API emits `error`; the bundled OpenAPI enum still says `failed` (docs/providers.md "each::labs:
    # polling")
    "error": RemoteStatus.FAILED,
    "failed": RemoteStatus.FAILED,
    "cancelled": RemoteStatus.CANCELLED,
    "canceled": RemoteStatus.CANCELLED,
}


def error_detail(body: Any) -> ErrorDetail:
    """`{"error": "...", "details": "..."}` (+ `status`), or the older `{"status":"error","message":...}`."""
    if isinstance(body, Mapping):
        parts = [
            str(body[k]).strip()
            for k in ("error", "message", "details")
            if isinstance(body.get(k), str) and body[k].strip()
        ]
        if parts:
            return ErrorDetail(": ".join(dict.fromkeys(parts)))
    return generic_error_detail(body)


def _failure_text(body: Mapping) -> tuple[str, str | None]:
    """The reason for a failed prediction, in the order of docs/providers.md "each::labs: polling", and a
    classification code if any."""
    output = body.get("output")
    envelopes = (
        [output]
        if isinstance(output, Mapping)
        else [o for o in output if isinstance(o, Mapping)]
        if isinstance(output, list)
        else []
    )
    code = None
    for env in envelopes:
        cls = env.get("classification")
        if isinstance(cls, Mapping) and isinstance(cls.get("category"), str):
            code = cls["category"]
        code = code or (env.get("error_code") if isinstance(env.get("error_code"), str) else None)
    candidates: list[Any] = [env.get("error_message") for env in envelopes]
    candidates += [env.get("error") for env in envelopes]
    candidates += [body.get(k) for k in ("error", "message", "details", "logs")]
    for c in candidates:
        if isinstance(c, str) and c.strip():
            return c.strip(), code
    return "", code


def parse_prediction(body: Any, label: str = "each::labs") -> PollResult:
    if not isinstance(body, Mapping):
        raise BadResponse(f"{label} sent a prediction that is not a JSON object.")
    word = str(body.get("status") or "")
    status = status_of(word, STATUSES)
    result = PollResult(status=status, detail=word)
    metrics = body.get("metrics")
    if isinstance(metrics, Mapping) and isinstance(metrics.get("cost"), (int, float)):
        result.cost_usd = float(metrics["cost"])
    if status is RemoteStatus.QUEUED and isinstance(body.get("queue_position"), int):
        result.queue_position = body["queue_position"]
    if status is RemoteStatus.SUCCEEDED:
        result.outputs = output_refs(body.get("output"))
        if not result.outputs:
            result.status = RemoteStatus.FAILED
            result.error = ProviderError(f"{label} finished the prediction but sent no image.")
    elif status is RemoteStatus.FAILED:
        text, code = _failure_text(body)
        result.error = job_failure(text, label, code=code)
    return result


class EachLabsProvider(HTTPProvider):
    name = "eachlabs"
    can_cancel = True
    can_stream = False
    # No documented list of an account's predictions, and the create takes no client id or metadata: a job
    # whose create answer was lost cannot be looked up. `GET /v1/webhooks` lists webhook deliveries only,
    # for predictions created with a webhook URL (docs/providers.md "each::labs and OpenAI";
    # https://github.com/eachlabs/mintlify-docs/blob/main/api/webhooks/list-webhooks.mdx)
    can_find_created = False
    error_detail = staticmethod(error_detail)

    def __init__(self, config: ProviderConfig, *, schema_cache: SchemaCache | None = None, **kw):
        super().__init__(config, **kw)
        self.schemas = schema_cache or SchemaCache()

    def live_schema(self, request: EditRequest) -> LiveSchema | None:
        """The model's published `request_schema` (free, no charge), kept a day; None when it cannot be
        had. each::labs' skills fetch it as `GET /v1/model?slug=…`, its API reference as
        `GET /v1/models/{slug}` (https://docs.eachlabs.ai/api/models/get-model): the first, then the other."""
        slug = request.model

        def fetch() -> Any:
            quick = {"idempotent": True, "read_timeout": FETCH_TIMEOUT_S, "attempts": FETCH_ATTEMPTS}
            try:
                return self.transport.request_json(
                    "GET", "/v1/model?" + urlencode({"slug": slug}), **quick
                ).body
            except ProviderError as exc:
                if exc.status != 404:
                    raise
            return self.transport.request_json("GET", f"/v1/models/{quote(slug, safe='')}", **quick).body

        body = self.schemas.get(self.name, self.base_url, slug, fetch)
        found = body.get("request_schema") if isinstance(body, Mapping) else None
        return from_json_schema(f"{self.info.label} {slug}", found)

    def create_payload(
        self, request: EditRequest, image_urls: list[str], schema: LiveSchema | None = None
    ) -> dict:
        """The create body. With the live schema: the image field it names, `quality: "auto"` when it lists
        that, fields it does not list left out (or refused when leaving them out would change the
        answer), and every value checked against it."""
        where = f"{self.info.label} {request.model}"
        # `image_urls` (a list) has the best evidence: each::labs' own end-to-end workflow examples for
        # gpt-image-v2-edit and the v1.5 schema; its v2 skill names a single `image_url`
        # (docs/providers.md "each::labs: model inputs"). The live schema decides.
        field = (schema.pick("image_urls", "image_url") if schema else None) or "image_urls"
        if field == "image_url" and len(image_urls) > 1:
            raise Unsupported(
                f"{where} takes one image (its published schema has `image_url`), so it cannot "
                f"take {len(image_urls) - 1} reference image(s) as well. Edit without them. "
                "Nothing was sent or charged."
            )
        inp: dict[str, Any] = {
            "prompt": request.prompt.strip(),
            field: image_urls[0] if field == "image_url" else image_urls,
            "background": request.background.value,
            "output_format": request.output_format.value,
            # the v1.5 schema calls it num_images, not n (docs/providers.md "each::labs: model inputs")
            "num_images": request.n,
            # always sent: left out, the service falls back to its documented default 1024x1024 (the v1.5
            # schema; https://github.com/eachlabs/skills) and a square answer would be stretched into a 3:2
            # or 2:3 selection
            "image_size": str(self.size_for(request)),
        }
        if request.quality is not Quality.AUTO:
            inp["quality"] = request.quality.value
        elif schema is not None and schema.has("quality") and schema.allows("quality", "auto"):
            inp["quality"] = "auto"  # listed: say so rather than get the default (high, the dearest)
        # otherwise "auto" is in no documented enum (v1.5: low | medium | high): left out
        if schema is not None and schema.fields:
            for name in [k for k in inp if k not in ("prompt", field) and not schema.has(k)]:
                if inp[name] not in _NEUTRAL.get(name, ()):
                    raise Unsupported(self._unlisted(where, name, inp[name]))
                del inp[name]  # "Only pass parameters that appear in the live schema" (each::labs' skills)
            schema.check(inp)
        # webhook_url "" as the clients do (docs/providers.md "each::labs: creating a prediction"): a desktop
        # plugin cannot receive webhooks and polls
        return {"model": request.model, "version": VERSION, "input": inp, "webhook_url": ""}

    @staticmethod
    def _unlisted(where: str, name: str, value: Any) -> str:
        if name == "image_size":
            return (
                f"{where}'s published schema has no image_size, so it would answer its default square "
                f"picture, stretched to fill an area that needs {value}. Select a square area or use "
                "another provider. Nothing was sent or charged."
            )
        return (
            f"{where}'s published schema has no {name}, so {name} {value!r} cannot be asked for; leave it "
            "at its default. Nothing was sent or charged."
        )

    def size_for(self, request: EditRequest) -> Size:
        """The size asked for, or for "auto" the model's size nearest to the picture's aspect: the same
        choice the placement plan makes for the box the picture was cut from."""
        if request.size is not None:
            return request.size
        info = image_info(request.images[0], "image to edit")
        rule = self.model(request).sizes
        if rule.fixed:
            return closest_fixed_size(rule.fixed, info.width, info.height)
        return best_custom_size(rule, info.width, info.height)

    def _upload(self, data: bytes, mime: str, progress) -> str:
        presign = self.transport.request_json(
            "POST",
            "/v1/upload/presign",
            idempotent=True,
            json={"content_type": mime, "file_type": "image", "expires_in_seconds": UPLOAD_RETENTION_S},
        ).body
        if (
            not isinstance(presign, Mapping)
            or not presign.get("presigned_url")
            or not presign.get("public_url")
        ):
            raise BadResponse(f"{self.info.label} did not return an upload address for the image.")
        headers = {"Content-Type": mime}
        required = presign.get("required_headers")
        if isinstance(required, Mapping):
            # S3 signs these headers; leaving one out fails the upload with a signature mismatch
            # (docs/providers.md "each::labs: uploads")
            headers.update({str(k): str(v) for k, v in required.items()})
        self.transport.upload(str(presign["presigned_url"]), data, headers, progress=progress)
        return str(presign["public_url"])

    def submit(self, request: EditRequest, listener: SubmitListener | None = None) -> Submission:
        self.check(request)
        schema = self.live_schema(request)
        # everything the schema can refuse is refused here, before the first upload
        self.create_payload(request, ["https://upload.invalid/image"] * len(request.images), schema)
        total = sum(len(i.data) for i in request.images) or 1
        done = 0
        urls: list[str] = []
        for image in request.images:
            mime = image_info(image, "image").mime

            def progress(frac: float, base: int = done, size: int = len(image.data)) -> None:
                self.notify(listener, "upload", min(1.0, (base + frac * size) / total))

            urls.append(self._upload(image.data, mime, progress))
            done += len(image.data)
        self.notify(listener, "upload", 1.0)
        resp = self.transport.request_json(
            "POST", "/v1/prediction", idempotent=False, json=self.create_payload(request, urls, schema)
        )
        body = resp.body if isinstance(resp.body, Mapping) else {}
        pid = body.get("predictionID") or body.get("prediction_id") or body.get("id")
        word = str(body.get("status") or "success").lower()
        if word != "success":
            text, _ = _failure_text(body)
            raise ProviderError(
                f"{self.info.label} did not start the edit: {text or word}",
                status=resp.status,
                request_id=resp.request_id,
            )
        if not isinstance(pid, str) or not pid:
            raise SubmissionUnknown(
                f"{self.info.label} accepted the edit but sent no prediction id, so it cannot be followed. "
                "Check the each::labs dashboard before trying again.",
                request_id=resp.request_id,
            )
        get_url = self.transport.url(f"/v1/prediction/{pid}")
        urls = {"get": get_url, "cancel": get_url + "/cancel"}
        given = body.get("urls")
        if isinstance(given, Mapping):
            # only URLs on the API's own origin: behind a gateway base URL the documented absolute URLs
            # would point past it (and would not get the key)
            urls.update(
                {
                    k: v
                    for k, v in given.items()
                    if k in ("get", "cancel") and isinstance(v, str) and self.transport.is_api_origin(v)
                }
            )
        return Submission(RemoteHandle(self.name, pid, urls))

    def poll(self, handle: RemoteHandle, wait: float = 0.0) -> PollResult:
        # each::labs has no long-poll; `wait` is ignored and the job layer paces the polls
        url = handle.urls.get("get") or f"/v1/prediction/{handle.remote_id}"
        resp = self.transport.request_json("GET", url, idempotent=True)
        return parse_prediction(resp.body, self.info.label)

    def cancel(self, handle: RemoteHandle) -> None:
        # best effort: the prediction may still finish (docs/providers.md "each::labs: cancel"); repeating a
        # cancel is harmless
        url = handle.urls.get("cancel") or f"/v1/prediction/{handle.remote_id}/cancel"
        self.transport.request_json("POST", url, idempotent=True, json={})
