"""OpenAI Images edits: one synchronous multipart request, optionally streamed (docs/providers.md "OpenAI").

The answer holds the finished images as base64, so `submit` returns the result and there is nothing to
poll or cancel afterwards. An edit can take minutes (a captured high-quality gpt-image-2 edit took 168 s,
docs/providers.md "OpenAI: response"), hence the long default read timeout.

Streaming is a constructor option: `OpenAIProvider(config, stream=True, partial_images=2)` (or
`make_provider("openai", config, stream=True)`). It is used only for models the catalog marks
`supports_stream`; partial images reach the listener as `("partial", (index, image_bytes))`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from ..errors import BadResponse, ModerationBlocked, ProviderError, SubmissionUnknown
from ..http_policy import MODERATION_CODES
from ..imagesniff import check_image
from ..models import EditRequest, OutputRef, PollResult, RemoteHandle, RemoteStatus, Submission, size_text
from ..transport import ErrorDetail, generic_error_detail
from .base import ProviderConfig, SubmitListener
from .common import HTTPProvider, decode_b64, image_info, sentence, usage_from

MiB = 1024 * 1024
#: the official SDK's default (openai-python `DEFAULT_TIMEOUT`): high-quality and 4K edits take minutes, and
#: a timeout here loses an edit that is billed all the same
DEFAULT_READ_TIMEOUT = 600.0


def error_detail(body: Any) -> ErrorDetail:
    """`{"error": {"message", "type", "param", "code"}}` (docs/providers.md "OpenAI: errors")."""
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        err = body["error"]
        message = err.get("message") if isinstance(err.get("message"), str) else None
        code = err.get("code") if isinstance(err.get("code"), str) else None
        return ErrorDetail(message, code or (err.get("type") if isinstance(err.get("type"), str) else None))
    return generic_error_detail(body)


def _image_ref(b64: Any, what: str) -> OutputRef:
    if not isinstance(b64, str) or not b64:
        raise BadResponse(f"OpenAI sent a {what} without image data.")
    data = decode_b64(b64, what)
    return OutputRef(data=data, mime=check_image(data).mime)


def parse_images_response(body: Any) -> PollResult:
    """A finished `ImagesResponse`: `data[].b64_json` (or `url` for dall-e), `usage`."""
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
            return PollResult(RemoteStatus.FAILED, error=stream_error(body["error"]), detail="error")
        return PollResult(
            RemoteStatus.FAILED,
            detail="malformed",
            error=BadResponse("OpenAI answered without a `data` list of images."),
        )
    outputs: list[OutputRef] = []
    try:
        for item in body["data"]:
            if isinstance(item, Mapping) and isinstance(item.get("url"), str) and not item.get("b64_json"):
                outputs.append(OutputRef(url=item["url"]))
            else:
                outputs.append(
                    _image_ref(item.get("b64_json") if isinstance(item, Mapping) else None, "image")
                )
    except BadResponse as exc:
        return PollResult(RemoteStatus.FAILED, error=exc, detail="damaged image")
    if not outputs:
        return PollResult(
            RemoteStatus.FAILED,
            detail="no images",
            error=ProviderError("OpenAI finished the edit but sent no image."),
        )
    return PollResult(
        RemoteStatus.SUCCEEDED, outputs=outputs, usage=usage_from(body.get("usage")), detail="completed"
    )


def stream_error(err: Any) -> Exception:
    detail = error_detail({"error": err}) if isinstance(err, Mapping) else ErrorDetail(str(err))
    text = sentence(detail.message or "no reason given")
    if (detail.code or "").lower() in MODERATION_CODES:
        return ModerationBlocked(
            f"OpenAI refused the edit for safety reasons: {text} Change the prompt or the image."
        )
    return ProviderError(f"OpenAI could not make the edit: {text}")


class OpenAIProvider(HTTPProvider):
    name = "openai"
    can_cancel = False
    can_stream = True
    # the edit happens inside the create request: there is no job to look up afterwards
    can_find_created = False
    error_detail = staticmethod(error_detail)

    def __init__(
        self,
        config: ProviderConfig,
        *,
        stream: bool = False,
        partial_images: int = 2,
        read_timeout: float | None = None,
        **kw,
    ):
        super().__init__(
            config, read_timeout=read_timeout or max(DEFAULT_READ_TIMEOUT, config.read_timeout), **kw
        )
        self.stream = stream
        # 0..3 per the API (docs/providers.md "OpenAI: request fields"); 0 would mean "final image only",
        # which is what stream=False gives
        self.partial_images = max(1, min(3, int(partial_images)))

    def form(self, request: EditRequest, streaming: bool) -> tuple[list[tuple[str, str]], list[tuple]]:
        fields = [
            ("model", request.model),
            ("prompt", request.prompt.strip()),
            ("n", str(request.n)),
            # sent even for auto: the multipart default is 1024x1024, not auto (docs/providers.md "OpenAI:
            # request fields")
            ("size", size_text(request.size)),
            ("quality", request.quality.value),
            ("background", request.background.value),
            ("output_format", request.output_format.value),
        ]
        if request.complexity is not None:
            # GPT Image 2.6 only (the catalog refuses it elsewhere); left out when unset so the model's
            # default (high) applies
            fields.append(("complexity", request.complexity.value))
        if streaming:
            fields += [("stream", "true"), ("partial_images", str(self.partial_images))]
        # `image` for one image, `image[]` repeated for several: what the curl example and the SDK send
        key = "image" if len(request.images) == 1 else "image[]"
        files: list[tuple] = []
        for i, img in enumerate(request.images):
            info = image_info(img, "image")
            # the name's extension follows the real format: the API may go by it, and a layer named
            # "image.png" can hold JPEG bytes
            stem = (img.name or "").rsplit(".", 1)[0] or f"image{i}"
            files.append((key, (f"{stem}.{info.extension}", img.data, info.mime)))
        if request.mask is not None:
            files.append(("mask", (request.mask.name or "mask.png", request.mask.data, "image/png")))
        if request.markup is not None:
            # a file part like `mask`: the field async-openai 0.43's CreateImageEditRequest names `markup`
            # (https://docs.rs/async-openai/0.43.0); it applies to the first image
            files.append(("markup", ("markup.png", request.markup.data, "image/png")))
        return fields, files

    def submit(self, request: EditRequest, listener: SubmitListener | None = None) -> Submission:
        self.check(request)
        streaming = self.stream and self.model(request).supports_stream
        fields, files = self.form(request, streaming)
        # base64 of n images: up to ~35 MB each at 3840x2160 (docs/providers.md "OpenAI: response"); cap per
        # image plus room for JSON
        cap = max(64 * MiB, request.n * 48 * MiB)
        if streaming:
            result, rid = self._submit_streaming(fields, files, cap, listener)
        else:
            resp = self.transport.request_json(
                "POST", "/images/edits", data=fields, files=files, idempotent=False, max_bytes=cap
            )
            result, rid = parse_images_response(resp.body), resp.request_id
        # nothing to poll later; the id is the request id for support, or a local one
        return Submission(RemoteHandle(self.name, rid or "local-" + uuid.uuid4().hex), result)

    def _submit_streaming(self, fields, files, cap: int, listener) -> tuple[PollResult, str | None]:
        with self.transport.open_stream(
            "POST", "/images/edits", data=fields, files=files, idempotent=False, max_bytes=cap
        ) as stream:
            if not stream.is_sse:  # the server ignored `stream`: an ordinary answer
                return parse_images_response(stream.json()), stream.request_id
            outputs: list[OutputRef] = []
            usage = None
            for event in stream.events():
                if event.is_done:
                    break
                try:
                    obj = json.loads(event.data)
                except ValueError:
                    continue  # a keep-alive or a line we do not know; the final event decides
                if not isinstance(obj, Mapping):
                    continue
                # the SDK raises when an event's data has an `error` key (docs/providers.md "OpenAI:
                # streaming")
                if obj.get("error") or obj.get("type") == "error" or event.event == "error":
                    err = stream_error(obj.get("error") or obj)
                    return PollResult(RemoteStatus.FAILED, error=err, detail="error"), stream.request_id
                kind = str(obj.get("type") or event.event)
                if kind.endswith("partial_image"):
                    try:
                        ref = _image_ref(obj.get("b64_json"), "partial image")
                    except BadResponse:
                        continue  # a damaged preview is not worth failing a paid edit for
                    index = obj.get("partial_image_index")
                    self.notify(listener, "partial", (index if isinstance(index, int) else 0, ref.data))
                elif kind.endswith("completed"):
                    try:
                        outputs.append(_image_ref(obj.get("b64_json"), "image"))
                    except BadResponse as exc:
                        return PollResult(
                            RemoteStatus.FAILED, error=exc, detail="damaged image"
                        ), stream.request_id
                    usage = usage_from(obj.get("usage")) or usage
            if not outputs:
                raise SubmissionUnknown(
                    "OpenAI's stream ended before the final image arrived; the edit may have been made and "
                    "billed. Check the usage page before running it again.",
                    request_id=stream.request_id,
                )
            return PollResult(
                RemoteStatus.SUCCEEDED, outputs=outputs, usage=usage, detail="completed"
            ), stream.request_id

    def poll(self, handle: RemoteHandle, wait: float = 0.0) -> PollResult:
        raise ProviderError(
            "OpenAI edits are synchronous: the result comes with the request and cannot be looked up "
            "later. If it was lost, run the edit again."
        )
