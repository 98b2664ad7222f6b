"""OpenAI Images edits (`POST /v1/images/edits`), docs/providers.md "OpenAI" (openai-openapi f85dbe2).

Synchronous: the request itself takes the configured latency and answers with base64 images, or streams
Server-Sent Events when `stream=true`. Both body encodings are accepted: multipart with `image` or
`image[]` (the SDK's array spelling) plus `mask`, and JSON with `images[].image_url` data URLs."""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Iterator
from typing import Any

from .common import InputProblem, ProviderApi, bearer
from .edits import EditSpec, ImageInfo, choose_edit, render, render_partials, truncated
from .faults import Fault, retry_after_headers
from .models import OPENAI_MODELS, shut_down
from .openai_validation import ModelGone, read_edit_request
from .state import Job
from .usage import usage
from .wire import Request, Response, json_response, sleep_until, sse_event

#: text models listed next to the image models (the real list holds many more)
TEXT_MODELS = ("gpt-4.1-mini", "gpt-4.1", "gpt-5", "gpt-5-mini")


def _err(
    message: str, type_: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


class OpenAIApi(ProviderApi):
    name = "openai"
    words = {
        "queued": "in_progress",
        "starting": "in_progress",
        "processing": "in_progress",
        "succeeded": "completed",
        "failed": "failed",
        "moderated": "failed",
        "cancelled": "failed",
        "aborted": "failed",
    }

    def _headers(self, started: float | None = None) -> dict[str, str]:
        elapsed = 0 if started is None else int((time.monotonic() - started) * 1000)
        return {
            "x-request-id": "req_" + secrets.token_hex(16),
            "openai-processing-ms": str(elapsed),
            "openai-version": "2020-10-01",
            "openai-organization": "user-sandbox",
            "x-ratelimit-limit-requests": "50",
            "x-ratelimit-remaining-requests": "49",
            "x-ratelimit-reset-requests": "1.2s",
        }

    def error(
        self,
        status: int,
        fault: Fault | None = None,
        message: str | None = None,
        param: str | None = None,
        code: str | None = None,
    ) -> Response:
        headers = self._headers()
        if fault is not None and fault.kind in ("quota", "http_402"):
            status, body = (
                429,
                _err(
                    "You exceeded your current quota, please check your plan and billing details.",
                    "insufficient_quota",
                    None,
                    "insufficient_quota",
                ),
            )
        elif status == 401:
            body = _err(
                "Incorrect API key provided. You can find your API key in your account settings.",
                code="invalid_api_key",
            )
        elif status == 429:
            wait = fault.param("retry_after", 1) if fault else 1
            body = _err(
                f"Rate limit reached for requests. Please try again in {wait}s.",
                "requests",
                None,
                "rate_limit_exceeded",
            )
            headers["x-ratelimit-remaining-requests"] = "0"
            if fault is not None:
                headers.update(retry_after_headers(fault, milliseconds=True))
        elif status == 503:
            body = _err("The engine is currently overloaded, please try again later.", "server_error")
        elif status >= 500:
            body = _err(
                message or "The server had an error while processing your request. Sorry about that!",
                "server_error",
            )
        else:
            body = _err(message or "Invalid request.", param=param, code=code)
        if fault is not None and fault.param("message"):
            body["error"]["message"] = fault.param("message")
        return json_response(status, body, headers)

    def moderation_error(self, stage: str) -> Response:
        body = _err(
            "Your request was rejected by the safety system. If you believe this is an error, "
            "contact us and include the request ID.",
            "image_generation_user_error",
            None,
            "moderation_blocked",
        )
        body["error"]["moderation_details"] = {"moderation_stage": stage, "categories": ["other"]}
        return json_response(400, body, self._headers())

    def refuse_key(self, req: Request) -> Response | None:
        """OpenAI's 401 for a request with no key or a wrong one (both OpenAI routes answer alike)."""
        token = bearer(req)
        if token is None:
            return json_response(
                401,
                _err(
                    "You didn't provide an API key. You need to provide your API key in an Authorization "
                    "header "
                    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
                ),
                self._headers(),
            )
        if token == "invalid":
            return self.error(401)
        return None

    def handle(self, req: Request, path: str) -> Response:
        refused = self.refuse_key(req)
        if refused is not None:
            return refused
        if path.rstrip("/") == "/images/edits" and req.method == "POST":
            return self._edit(req)
        if path.rstrip("/") == "/models" and req.method == "GET":
            return self._models()
        return self.error(404, message=f"Invalid URL ({req.method} /v1{path})", code="unknown_url")

    def _models(self) -> Response:
        """`GET /v1/models`: the models this key can use — every image model the sandbox still serves."""
        # and the text models that can call the Responses API's image tool (openai_responses.py)
        ids = [m for m in OPENAI_MODELS if not shut_down(m, self.config)] + list(TEXT_MODELS)
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "system"} for m in ids]
        return json_response(200, {"object": "list", "data": data}, self._headers())

    # --- the edit ----------------------------------------------------------------------------------

    def _edit(self, req: Request) -> Response:
        started = time.monotonic()
        try:
            edit = read_edit_request(req, self.config)
        except ModelGone as exc:
            self.count("creates")
            return self.error(404, message=exc.message, param=exc.field, code=exc.code)
        except InputProblem as exc:
            self.count("creates")
            early = self.early_fault(self.take_fault("create"))
            return early or self.error(
                400, message=exc.message, param=exc.field, code=exc.code or "invalid_value"
            )
        self.count("creates")
        if edit.stream:
            self.count("stream_requests")
        fault = self.take_fault("stream", "create") if edit.stream else self.take_fault("create")
        if fault is not None and fault.kind == "moderation":
            return self.moderation_error("input")
        spec = EditSpec(
            edit.prompt,
            choose_edit(edit.prompt, self.config["edit"]),
            edit.size,
            edit.output_format,
            edit.background,
            edit.n,
            edit.compression,
            markup=edit.markup,
        )
        record = self.record(
            edit.prompt,
            edit.params,
            edit.infos,
            edit.mask_info,
            "bearer",
            encoding=edit.encoding,
            image_field=edit.image_field,
            model=edit.model,
            markup_image=edit.markup_info.describe() if edit.markup_info else None,
            complexity=edit.complexity,
        )

        def make() -> Job:
            job = self.new_job(
                "img_" + secrets.token_hex(12),
                edit.model,
                spec,
                edit.images,
                edit.mask,
                record,
                None,
                self._finish,
            )
            job.extra.update(quality=edit.quality, infos=edit.infos, response_format=edit.response_format)
            return job

        def answer(job: Job) -> Response:
            if edit.stream:
                return Response(
                    200,
                    headers={
                        **self._headers(started),
                        "Content-Type": "text/event-stream",
                        "Cache-Control": "no-cache",
                    },
                    stream=self._events(job, edit.partial_images, fault),
                )
            if not job.wait_end(self.ctx.stopping):
                return Response(abort=True)
            return self._final(job, started, fault)

        return self.around_create(req, fault, make, answer)

    def _finish(self, job: Job) -> None:
        outs = render(job.spec, job.images, job.mask)
        for i, out in enumerate(outs):
            item: dict[str, Any] = {
                "width": out.width,
                "height": out.height,
                "content_type": out.mime,
                "data": out.data,
            }
            if job.extra.get("response_format") == "url":  # dall-e-2's default: a link, valid for an hour
                item["url"] = self.ctx.storage.put(
                    f"/openai/images/{job.id}/{i}.{out.extension}",
                    out.data,
                    out.mime,
                    self.name,
                    self.config["output_url_ttl"] or 3600,
                )
            job.outputs.append(item)
        first = job.outputs[0]
        sizes = [(i.width, i.height) for i in job.extra["infos"]]
        job.extra["usage"] = usage(
            job.model,
            job.spec.prompt,
            sizes,
            (first["width"], first["height"]),
            job.extra["quality"],
            job.spec.n,
        )

    def _summary(self, job: Job) -> dict[str, Any]:
        first = job.outputs[0]
        infos: list[ImageInfo] = job.extra["infos"]
        alpha = job.spec.background == "transparent" or (job.spec.background == "auto" and infos[0].has_alpha)
        return {
            "background": "transparent" if alpha and job.spec.output_format != "jpeg" else "opaque",
            "output_format": job.spec.output_format,
            "quality": job.extra["quality"]
            if job.extra["quality"] in ("low", "medium", "high")
            else "medium",
            "size": f"{first['width']}x{first['height']}",
        }

    def _failure(self, job: Job, phase: str) -> Response:
        if phase == "moderated":
            return self.moderation_error("output")
        return self.error(500)

    @staticmethod
    def _b64(data: bytes, fault: Fault | None) -> str:
        if fault is not None and fault.kind == "truncated_image":
            data = truncated(data, float(fault.param("fraction", 0.5)))
        return base64.b64encode(data).decode("ascii")

    def _final(self, job: Job, started: float, fault: Fault | None) -> Response:
        phase = job.phase()
        if phase != "succeeded":
            return self._failure(job, phase)
        if job.model == "dall-e-2":
            data = [
                {"url": o["url"]} if "url" in o else {"b64_json": self._b64(o["data"], fault)}
                for o in job.outputs
            ]
            return json_response(200, {"created": int(time.time()), "data": data}, self._headers(started))
        body = {
            "created": int(time.time()),
            **self._summary(job),
            "data": [{"b64_json": self._b64(o["data"], fault)} for o in job.outputs],
            "usage": job.extra["usage"],
        }
        return json_response(200, body, self._headers(started))

    # --- streaming ---------------------------------------------------------------------------------

    def _events(self, job: Job, partials: int, fault: Fault | None) -> Iterator[bytes]:
        """partial_image events spread over the latency, then one `image_edit.completed` per image.
        The partials show the way to the first image only (n > 1 streaming is not documented)."""
        stop = self.ctx.stopping
        error_after = int(fault.param("after_events", 1)) if fault and fault.kind == "stream_error" else None
        previews = render_partials(job.spec, job.images, job.mask, partials) if partials else []
        sent = 0
        created_at = int(time.time())
        for k, preview in enumerate(previews):
            if error_after is not None and sent >= error_after:
                yield self._stream_error()
                return
            if not sleep_until(stop, job.created + job.latency * (k + 1) / (partials + 1)):
                return
            yield sse_event(
                {
                    "type": "image_edit.partial_image",
                    "b64_json": self._b64(preview.data, None),
                    "created_at": created_at,
                    "size": f"{preview.width}x{preview.height}",
                    "quality": job.extra["quality"],
                    "background": job.spec.background,
                    "output_format": job.spec.output_format,
                    "partial_image_index": k,
                },
                "image_edit.partial_image",
            )
            sent += 1
        if not job.wait_end(stop):
            return
        if error_after is not None:
            yield self._stream_error()
            return
        phase = job.phase()
        if phase != "succeeded":
            moderated = phase == "moderated"
            yield sse_event(
                {
                    "type": "error",
                    "error": {
                        "message": "Your request was rejected by the safety system."
                        if moderated
                        else "The server had an error while processing your request.",
                        "type": "image_generation_user_error" if moderated else "server_error",
                        "code": "moderation_blocked" if moderated else "server_error",
                        "param": None,
                    },
                },
                "error",
            )
            return
        summary = self._summary(job)
        for out in job.outputs:
            yield sse_event(
                {
                    "type": "image_edit.completed",
                    "b64_json": self._b64(out["data"], fault),
                    "created_at": created_at,
                    **summary,
                    "usage": job.extra["usage"],
                },
                "image_edit.completed",
            )

    @staticmethod
    def _stream_error() -> bytes:
        return sse_event(
            {
                "type": "error",
                "error": {
                    "message": "The server had an error while processing your request. Sorry about that!",
                    "type": "server_error",
                    "code": "stream_error",
                    "param": None,
                },
            },
            "error",
        )
