"""OpenAI through the Responses API in background mode, with the image-generation tool.

Why a second route to OpenAI: `/images/edits` answers inside the one request that creates the edit, so an
edit cut off mid-request (a crash, a dropped connection, a closed laptop) is billed and lost. In background
mode the create request only queues the work and answers at once with a response id; the ledger stores
that id, the job is polled with `GET /responses/{id}` and cancelled with `POST /responses/{id}/cancel`,
exactly like the polled providers, and `jobs resume` picks it up after a crash.

The request (OpenAPI spec, `CreateResponse` and `ImageGenTool`,
https://github.com/openai/openai-openapi/blob/master/openapi.yaml; guides
https://developers.openai.com/api/docs/guides/background and
https://developers.openai.com/api/docs/guides/tools-image-generation):

- `model` is a text ("mainline") model that calls the tool; the image model goes in the tool's `model`;
- `input` holds one user message: the prompt, the image to edit and then the references, as `input_image`
  data URLs;
- `tools` holds the image-generation tool with size, quality, background, output format and the selection as
  `input_image_mask`; `tool_choice` forces that tool and `max_tool_calls: 1` keeps it to one paid image;
- `background: true` with `store: true`: without `store` a background response is deleted about ten minutes
  after it ends, which would turn a long outage into a lost result.

The answer is a `Response`: `status` queued | in_progress | completed | failed | cancelled | incomplete, and
in `output` an `image_generation_call` item whose `result` is the image in base64.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..catalog import RESPONSES_TEXT_MODEL
from ..errors import BadResponse, ModerationBlocked, ProviderError, SubmissionUnknown
from ..http_policy import MODERATION_CODES
from ..imagesniff import check_image
from ..models import (
    EditRequest,
    OutputRef,
    PollResult,
    Quality,
    RemoteHandle,
    RemoteStatus,
    Size,
    Submission,
    size_text,
)
from .base import ProviderConfig, SubmitListener
from .common import HTTPProvider, data_url, decode_b64, sentence
from .openai import error_detail

MiB = 1024 * 1024

#: The text model that calls the image tool when the caller names none (the `text_model` setting's default).
DEFAULT_MAINLINE_MODEL = RESPONSES_TEXT_MODEL

#: Tells the mainline model to hand the user's words to the tool as they are, applied to the first image.
INSTRUCTIONS = (
    "Edit the first image with the image_generation tool, following the user's instruction exactly. "
    "Keep everything the instruction does not ask to change. Any further images are references only."
)

STATUSES = {
    "queued": RemoteStatus.QUEUED,
    "in_progress": RemoteStatus.RUNNING,
    "completed": RemoteStatus.SUCCEEDED,
    "failed": RemoteStatus.FAILED,
    "cancelled": RemoteStatus.CANCELLED,
    # the model stopped early (`incomplete_details.reason`: max_output_tokens or content_filter)
    "incomplete": RemoteStatus.FAILED,
}

#: `ResponseError.code` values that mean the safety system refused the picture (openai-python
#: `types/responses/response_error.py`)
_POLICY_CODES = frozenset({*MODERATION_CODES, "image_content_policy_violation", "bio_policy"})

LABEL = "OpenAI"


def _failure(code: str | None, message: str | None) -> Exception:
    text = sentence(message or "no reason given")
    if (code or "").lower() in _POLICY_CODES:
        return ModerationBlocked(
            f"{LABEL} refused the edit for safety reasons: {text} Change the prompt or the image."
        )
    return ProviderError(f"{LABEL} could not make the edit: {text}")


def _said(body: Mapping) -> str:
    """What the mainline model wrote instead of calling the tool (a refusal, a question)."""
    words: list[str] = []
    for item in body.get("output") or ():
        if not isinstance(item, Mapping) or item.get("type") != "message":
            continue
        for part in item.get("content") or ():
            if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                words.append(part["text"])
            elif isinstance(part, Mapping) and isinstance(part.get("refusal"), str):
                words.append(part["refusal"])
    return " ".join(" ".join(words).split())[:300]


def image_calls(body: Mapping) -> list[Mapping]:
    return [
        item
        for item in body.get("output") or ()
        if isinstance(item, Mapping) and item.get("type") == "image_generation_call"
    ]


def parse_response(body: Any) -> PollResult:
    """One look at a `Response` object (create, retrieve and cancel all answer with one). Raises
    `BadResponse` for an answer that is not a response or holds a damaged image."""
    if not isinstance(body, Mapping):
        raise BadResponse(f"{LABEL} sent a response that is not a JSON object.")
    word = str(body.get("status") or "")
    status = STATUSES.get(word.strip().lower(), RemoteStatus.RUNNING)  # unknown words: still running
    result = PollResult(status=status, detail=word)
    if status is RemoteStatus.FAILED:
        err = body.get("error") if isinstance(body.get("error"), Mapping) else {}
        if word == "incomplete":
            reason = (
                (body.get("incomplete_details") or {}).get("reason")
                if isinstance(body.get("incomplete_details"), Mapping)
                else None
            )
            code = "content_policy_violation" if reason == "content_filter" else reason
            result.error = _failure(code, f"the response stopped early ({reason or 'no reason given'})")
        else:
            result.error = _failure(err.get("code"), err.get("message"))
        return result
    if status is not RemoteStatus.SUCCEEDED:
        return result
    calls = image_calls(body)
    for call in calls:
        b64 = call.get("result")
        if call.get("status") == "failed" or not isinstance(b64, str) or not b64:
            continue
        # A damaged image raises BadResponse: the response is stored, so the job layer looks again
        # instead of failing a paid edit over one broken answer.
        data = decode_b64(b64, "image")
        result.outputs.append(OutputRef(data=data, mime=check_image(data).mime))
    if not result.outputs:
        result.status = RemoteStatus.FAILED
        failed = next((c for c in calls if isinstance(c.get("error"), Mapping)), None)
        if failed is not None:
            err = failed["error"]
            result.error = _failure(err.get("code"), err.get("message"))
        elif calls:
            result.error = ProviderError(f"{LABEL}'s image tool finished without an image.")
        else:
            said = _said(body)
            result.error = ProviderError(
                f"{LABEL}'s model answered without making an image"
                + (f": “{said}”" if said else ".")
                + " Rephrase the prompt as an edit to the picture."
            )
    return result


def output_size(body: Mapping) -> tuple[Size | None, Quality | None]:
    """The size and quality the tool reports it used (real responses carry them; the spec lists them as
    optional), for pricing what was made rather than what was asked."""
    for call in image_calls(body):
        size = quality = None
        try:
            size = Size.parse(str(call.get("size") or ""))
        except Exception:  # noqa: BLE001 - a size we cannot read only makes the cost an estimate
            size = None
        try:
            quality = Quality(str(call.get("quality") or ""))
        except ValueError:
            quality = None
        return size, quality
    return None, None


class OpenAIResponsesProvider(HTTPProvider):
    name = "openai-responses"
    can_cancel = True
    can_stream = False
    # The response's `metadata` carries the tag (shown in OpenAI's dashboard), but the API has no way to list
    # an account's responses (only `GET /responses/{id}`), so a job whose create answer was lost cannot be
    # looked up: it stays unknown.
    sends_client_tag = True
    can_find_created = False
    error_detail = staticmethod(error_detail)

    def __init__(
        self,
        config: ProviderConfig,
        *,
        mainline_model: str | None = None,
        metadata: Mapping[str, str] | None = None,
        **kw,
    ):
        super().__init__(config, **kw)
        self.mainline_model = (mainline_model or "").strip() or DEFAULT_MAINLINE_MODEL
        #: `metadata` on the response (up to 16 string pairs): a tag that finds our jobs in a listing
        self.metadata = dict(metadata) if metadata else {"client": "gptedit"}

    def tool(self, request: EditRequest) -> dict[str, Any]:
        tool: dict[str, Any] = {
            "type": "image_generation",
            "model": request.model,
            # every edit here changes a given picture; "auto" would let the model draw a new one
            "action": "edit",
            "size": size_text(request.size),
            "quality": request.quality.value,
            "background": request.background.value,
            "output_format": request.output_format.value,
        }
        if request.complexity is not None:  # planning depth, GPT Image 2.6 only; the tool takes it too
            tool["complexity"] = request.complexity.value
        if request.mask is not None:
            # The spec calls `image_url` a "Base64-encoded mask image" without saying whether it wants bare
            # base64 or a data URL; input images take data URLs, the field is named like theirs, and
            # LangChain's adapter documents a "base64-encoded mask image URL", so a data URL is sent.
            # UNCONFIRMED: https://github.com/openai/openai-openapi/blob/master/openapi.yaml (ImageGenTool)
            tool["input_image_mask"] = {"image_url": data_url(request.mask)}
        return tool

    def create_body(
        self, request: EditRequest, *, metadata: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        content: list[dict[str, Any]] = [{"type": "input_text", "text": request.prompt.strip()}]
        for image in request.images:
            # `detail` is required by the SDK's input_image type; it only concerns the mainline model's view
            content.append({"type": "input_image", "image_url": data_url(image), "detail": "auto"})
        body: dict[str, Any] = {
            "model": self.mainline_model,
            "instructions": INSTRUCTIONS,
            "input": [{"role": "user", "content": content}],
            "tools": [self.tool(request)],
            "tool_choice": {"type": "image_generation"},
            "max_tool_calls": 1,
            "background": True,
            "store": True,
        }
        tags = {**self.metadata, **(metadata or {})}
        if request.client_tag:
            tags["job"] = request.client_tag
        if tags:
            body["metadata"] = {str(k)[:64]: str(v)[:512] for k, v in list(tags.items())[:16]}
        return body

    def _handle(self, body: Any) -> RemoteHandle:
        rid = body.get("id") if isinstance(body, Mapping) else None
        if not isinstance(rid, str) or not rid:
            raise SubmissionUnknown(
                f"{LABEL} accepted the edit but sent no response id, so it cannot be followed. Check the "
                "usage page before running it again."
            )
        get = self.transport.url(f"/responses/{rid}")
        return RemoteHandle(self.name, rid, {"get": get, "cancel": get + "/cancel"})

    def submit(self, request: EditRequest, listener: SubmitListener | None = None) -> Submission:
        self.check(request)
        resp = self.transport.request_json(
            "POST", "/responses", json=self.create_body(request), idempotent=False
        )
        handle = self._handle(resp.body)
        try:
            result = self._parse(resp.body, request)
        except BadResponse:
            return Submission(handle)  # created and stored: polling reads it again
        # a background create normally answers "queued"; a finished answer is taken as it is
        return Submission(handle, result if result.status.terminal else None)

    def poll(self, handle: RemoteHandle, wait: float = 0.0) -> PollResult:
        url = handle.urls.get("get") or f"/responses/{handle.remote_id}"
        # the finished response carries the image as base64: up to ~35 MB for 3840x2160 (see openai.py)
        resp = self.transport.request_json("GET", url, idempotent=True, max_bytes=96 * MiB)
        return self._parse(resp.body, None)

    def cancel(self, handle: RemoteHandle) -> None:
        # Only background responses can be cancelled; cancelling again returns the final response
        # (https://developers.openai.com/api/docs/guides/background)
        url = handle.urls.get("cancel") or f"/responses/{handle.remote_id}/cancel"
        self.transport.request_json("POST", url, idempotent=True, max_bytes=96 * MiB)

    def _parse(self, body: Any, request: EditRequest | None) -> PollResult:
        from ..pricing import responses_cost  # late: pricing imports nothing from providers

        result = parse_response(body)
        if result.status is RemoteStatus.SUCCEEDED and isinstance(body, Mapping):
            size, quality = output_size(body)
            if size is None:
                info = check_image(result.outputs[0].data or b"")
                size = Size(info.width, info.height)
            result.cost_usd = responses_cost(
                self.mainline_model,
                str(body.get("model") or ""),
                self._image_model(body, request),
                usage=body.get("usage"),
                size=size,
                quality=quality,
                images=len(result.outputs),
                input_images=len(request.images) if request is not None else 1,
            )
        return result

    @staticmethod
    def _image_model(body: Mapping, request: EditRequest | None) -> str:
        """The image model the tool ran: echoed in `tools`, else the one we asked for."""
        for tool in body.get("tools") or ():
            if isinstance(tool, Mapping) and tool.get("type") == "image_generation" and tool.get("model"):
                return str(tool["model"])
        return request.model if request is not None else ""
