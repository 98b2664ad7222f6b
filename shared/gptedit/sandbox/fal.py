"""fal.ai queue API for the gpt-image edit endpoints, docs/providers.md "fal" (fal_client c6f0afaa, fal docs).

Quirks kept on purpose: `Authorization: Key …`; the status/result/cancel URLs use only `owner/app`,
not the endpoint's sub-path (`openai/gpt-image-2/edit` → `openai/gpt-image-2/requests/{id}`); status
answers 202 while queued or running and 200 once COMPLETED; a failed run is still COMPLETED, with
`error`/`error_type` set; validation errors are 422 `{"detail": [...]}` with `X-Fal-Retryable`."""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from .common import InlineTooLarge, InputProblem, ProviderApi
from .edits import EditSpec, choose_edit, render
from .faults import Fault, delay_of, retry_after_headers
from .models import shut_down
from .sizes import GPT_IMAGE_2_MODELS, STANDARD_SIZES, gpt_image_2_problem
from .state import RUNNING_PHASES, Job, iso, parse_iso
from .usage import usage
from .wire import BadRequestBody, Request, Response, json_response, sleep_until

#: endpoint → (model for the size rules and token counts, most images per request)
ENDPOINTS = {
    "openai/gpt-image-2/edit": ("gpt-image-2", 4),
    "openai/gpt-image-2.5/flare/edit": ("gpt-image-2.5", 4),
    "fal-ai/gpt-image-1/edit-image": ("gpt-image-1", 4),
    "fal-ai/gpt-image-1.5/edit": ("gpt-image-1.5", 4),
}
PRESETS = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
}
QUEUE_DEPTH = 3  # queue_position counts down from QUEUE_DEPTH - 1 to 0 while a job is queued

#: the Platform API's request history, served under the queue base (`{base}/v1/…`, as the client expects
#: of any base other than fal's own; fal serves it at https://api.fal.ai/v1/models/requests/by-endpoint)
HISTORY = "/v1/models/requests/by-endpoint"
_REQUEST = re.compile(r"^/([^/]+/[^/]+)/requests/([^/]+)(/status(/stream)?|/cancel)?/?$")


class FalApi(ProviderApi):
    name = "fal"
    words = {
        "queued": "IN_QUEUE",
        "starting": "IN_QUEUE",
        "processing": "IN_PROGRESS",
        "succeeded": "COMPLETED",
        "failed": "COMPLETED",
        "moderated": "COMPLETED",
        "cancelled": "COMPLETED",
        "aborted": "COMPLETED",
    }

    def _headers(self, request_id: str | None = None) -> dict[str, str]:
        return {"x-fal-request-id": request_id or str(uuid.uuid4())}

    def error(self, status: int, fault: Fault | None = None, message: str | None = None) -> Response:
        headers = self._headers()
        if status == 401:
            body: dict[str, Any] = {"detail": message or "Invalid Key Authorization header"}
        elif status == 402:
            body = {"detail": "User is locked. Reason: Exhausted balance. Top up your balance to continue."}
        elif status == 429:
            body = {"detail": "Too many requests. Please slow down.", "error_type": "rate_limited"}
            headers["X-Fal-Retryable"] = "true"
            if fault is not None:
                headers.update(retry_after_headers(fault))
        elif status >= 500:
            kind = "runner_scheduling_failure" if status == 503 else "internal_error"
            body = {"detail": message or "Internal server error", "error_type": kind}
            headers.update({"X-Fal-Error-Type": kind, "X-Fal-Retryable": "true"})
        else:
            body = {"detail": message or "Not Found"}
        if fault is not None and fault.param("message"):
            body["detail"] = fault.param("message")
        return json_response(status, body, headers)

    def validation_error(self, loc: list[Any], msg: str, type_: str) -> Response:
        headers = {**self._headers(), "X-Fal-Retryable": "false"}
        return json_response(422, {"detail": [{"loc": ["body", *loc], "msg": msg, "type": type_}]}, headers)

    def handle(self, req: Request, path: str) -> Response:
        if path.rstrip("/") == "/files/upload" and req.method == "POST":
            return self._cdn_upload(req)  # authorised by a CDN token, never by the key
        scheme, _, key = (req.header("Authorization") or "").partition(" ")
        if scheme != "Key" or not key.strip():
            return self.error(401, message="Missing or malformed Authorization header: use 'Key <FAL_KEY>'")
        if key.strip() == "invalid":
            return self.error(401, message="Invalid API key")
        if path.rstrip("/") == HISTORY and req.method == "GET":
            return self._history(req)
        m = _REQUEST.match(path)
        if m:
            app, request_id, tail, stream = m.groups()
            job = self.ctx.jobs.get(request_id, self.name)
            if job is not None and job.extra.get("app") != app:
                job = None  # status URLs carry owner/app only; the sub-path form is a 404
            if tail is None and req.method == "GET":
                return self._result(req, job)
            if tail and tail.startswith("/status") and req.method == "GET":
                return self._stream(req, job) if stream else self._status(req, job)
            if tail == "/cancel" and req.method == "PUT":
                return self._cancel(req, job)
            return self.error(405, message="Method Not Allowed")
        endpoint = path.strip("/")
        if req.method == "POST" and endpoint == "storage/auth/token":
            return self._cdn_token(req)
        if req.method == "POST" and endpoint == "storage/upload/initiate":
            return self._initiate_upload(req)
        if req.method == "POST" and endpoint in ENDPOINTS and not shut_down(endpoint, self.config):
            return self._submit(req, endpoint)
        return self.error(404, message=f"Application '{endpoint}' not found")

    # --- submit ------------------------------------------------------------------------------------

    def _submit(self, req: Request, endpoint: str) -> Response:
        self.count("creates")
        fault = self.take_fault("create")
        early = self.early_fault(fault)
        if early is not None:
            return early
        if fault is not None and fault.kind == "moderation" and fault.param("immediate"):
            return self.validation_error(
                ["prompt"], "The content was flagged by the content checker.", "content_policy_violation"
            )
        try:
            body = req.json()
            if not isinstance(body, dict):
                raise BadRequestBody("the body must be a JSON object")
        except BadRequestBody as exc:
            return self.validation_error([], str(exc), "json_invalid")
        try:
            spec, images, mask, record = self._read_input(endpoint, body)
        except InlineTooLarge as exc:
            self.count("inline_rejected")
            return json_response(
                413,
                {"detail": exc.message, "error_type": "request_entity_too_large"},
                {**self._headers(), "X-Fal-Retryable": "false"},
            )
        except InputProblem as exc:
            loc = [p for p in re.split(r"[\[\].]+", exc.field or "") if p]
            loc = [int(p) if p.isdigit() else p for p in loc]
            return self.validation_error(loc, exc.message, exc.code or "value_error")
        app = "/".join(endpoint.split("/")[:2])

        def make() -> Job:
            job = self.new_job(str(uuid.uuid4()), endpoint, spec, images, mask, record, fault, self._finish)
            job.extra.update(
                app=app,
                sync=bool(body.get("sync_mode")),
                infos=record["images"],
                quality=body.get("quality", "high"),
                input=body,
            )
            return job

        def answer(job: Job) -> Response:
            urls = self._urls(job)
            return json_response(
                200,
                {
                    "status": "IN_QUEUE",
                    "request_id": job.id,
                    **urls,
                    "queue_position": QUEUE_DEPTH - 1,
                    "gateway_request_id": job.id,
                },
                self._headers(job.id),
            )

        return self.around_create(req, fault, make, answer)

    def _urls(self, job: Job) -> dict[str, str]:
        base = f"{self.ctx.api_url}/fal/{job.extra['app']}/requests/{job.id}"
        return {"response_url": base, "status_url": base + "/status", "cancel_url": base + "/cancel"}

    def _read_input(self, endpoint: str, body: dict[str, Any]):
        model, most = ENDPOINTS[endpoint]
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise InputProblem("Field required", "prompt", "missing")
        urls = body.get("image_urls")
        if not isinstance(urls, list) or not 1 <= len(urls) <= 16:
            raise InputProblem("image_urls must be a list of 1 to 16 URLs", "image_urls", "missing")
        images = [self.load_image(u, f"image_urls[{i}]") for i, u in enumerate(urls)]
        infos = [self.check_image(d, f"image_urls[{i}]") for i, d in enumerate(images)]
        mask = mask_info = None
        if body.get("mask_url"):
            mask = self.load_image(body["mask_url"], "mask_url")
            mask_info = self.check_image(mask, "mask_url", ("png",))
        size = self._size(model, body.get("image_size", "auto"))
        n = body.get("num_images", 1)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= most:
            raise InputProblem(f"Input should be between 1 and {most}", "num_images", "less_than_equal")
        fmt = body.get("output_format", "png")
        if fmt not in ("jpeg", "png", "webp"):
            raise InputProblem("Input should be 'jpeg', 'png' or 'webp'", "output_format", "enum")
        background = body.get("background", "auto")
        if background not in ("auto", "transparent", "opaque"):
            raise InputProblem("Input should be 'auto', 'transparent' or 'opaque'", "background", "enum")
        if background == "transparent" and fmt == "jpeg":
            raise InputProblem(
                "A transparent background needs png or webp output", "background", "value_error"
            )
        if body.get("quality", "high") not in ("auto", "low", "medium", "high"):
            raise InputProblem("Input should be 'auto', 'low', 'medium' or 'high'", "quality", "enum")
        spec = EditSpec(
            prompt,
            choose_edit(prompt, self.config["edit"]),
            size,
            fmt,
            background,
            n,
            mask_reading=self.config["fal_mask_reading"],
        )
        params = {k: v for k, v in body.items() if k not in ("prompt", "image_urls", "mask_url")}
        record = self.record(
            prompt,
            params,
            infos,
            mask_info,
            "key",
            endpoint=endpoint,
            image_url_kinds=["data" if str(u).startswith("data:") else "url" for u in urls],
        )
        return spec, images, mask, record

    @staticmethod
    def _size(model: str, value: Any) -> tuple[int, int] | None:
        if value == "auto":
            return None
        if isinstance(value, str):
            if value in PRESETS:
                return PRESETS[value]
            if model not in GPT_IMAGE_2_MODELS and re.fullmatch(r"\d+x\d+", value):
                size = tuple(int(v) for v in value.split("x"))
                if size in STANDARD_SIZES:
                    return size  # type: ignore[return-value]
            raise InputProblem(
                f"Input should be 'auto', a preset ({', '.join(PRESETS)}) or {{width, height}}",
                "image_size",
                "enum",
            )
        if isinstance(value, dict) and set(value) == {"width", "height"}:
            w, h = value["width"], value["height"]
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (w, h)):
                raise InputProblem("width and height must be integers", "image_size", "int_type")
            problem = (
                gpt_image_2_problem(w, h)
                if model in GPT_IMAGE_2_MODELS
                else (None if (w, h) in STANDARD_SIZES else "use 1024x1024, 1536x1024 or 1024x1536")
            )
            if problem:
                raise InputProblem(f"Invalid image_size {w}x{h}: {problem}", "image_size", "value_error")
            return w, h
        raise InputProblem("Input should be 'auto', a preset or {width, height}", "image_size", "enum")

    def _finish(self, job: Job) -> None:
        ttl = self.config["output_url_ttl"]
        for i, out in enumerate(render(job.spec, job.images, job.mask)):
            name = f"output_{i}.{out.extension}"
            if job.extra.get("sync"):  # sync_mode: a data URI, not kept in the request history
                url = f"data:{out.mime};base64," + base64.b64encode(out.data).decode("ascii")
            else:
                url = self.ctx.storage.put(f"/fal/files/{job.id}/{name}", out.data, out.mime, self.name, ttl)
            job.outputs.append(
                {
                    "url": url,
                    "content_type": out.mime,
                    "file_name": name,
                    "width": out.width,
                    "height": out.height,
                }
            )
        model = ENDPOINTS[job.model][0]
        sizes = [(i["width"], i["height"]) for i in job.extra["infos"]]
        first = job.outputs[0]
        job.extra["usage"] = usage(
            model, job.spec.prompt, sizes, (first["width"], first["height"]), job.extra["quality"], job.spec.n
        )

    # --- storage: fal_client's two upload routes -------------------------------------------------------
    # 1. `POST {rest}/storage/auth/token?storage_type=fal-cdn-v3` with the key → a short-lived CDN token,
    #    then `POST {cdn}/files/upload` with the bytes and `Authorization: <token_type> <token>` →
    #    `{"access_url"}` (fal_client's default);
    # 2. `POST {rest}/storage/upload/initiate?storage_type=gcs` with the key and {file_name, content_type}
    #    → {upload_url, file_url}, then a plain PUT of the bytes to upload_url (its fallback).
    # The sandbox serves the REST and CDN routes under the fal prefix; the signed PUT goes to the upload host.

    def _cdn_token(self, req: Request) -> Response:
        self.count("upload_tokens")
        fault = self.take_fault("presign")
        early = self.early_fault(fault)
        if early is not None:
            return early
        token = secrets.token_urlsafe(24)
        expires = time.time() + 3600
        self.ctx.storage.keep("fal-token:" + token, {"expires": expires})
        # "+00:00", not "Z": fal_client parses it with datetime.fromisoformat, which takes "Z" only
        # from Python 3.11 on
        return json_response(
            200,
            {
                "token": token,
                "token_type": "Bearer",
                "base_url": f"{self.ctx.api_url}/fal",
                "expires_at": datetime.fromtimestamp(expires, timezone.utc).isoformat(),
            },
            self._headers(),
        )

    def _cdn_upload(self, req: Request) -> Response:
        self.count("file_uploads")
        fault = self.take_fault("upload")
        early = self.early_fault(fault)
        if early is not None:
            return early
        scheme, _, token = (req.header("Authorization") or "").partition(" ")
        record = self.ctx.storage.record("fal-token:" + token.strip()) if scheme == "Bearer" else None
        if record is None or record["expires"] < time.time():
            # the API key is not a CDN credential: only a token from /storage/auth/token opens the CDN
            return json_response(401, {"detail": "Invalid or expired upload token"}, self._headers())
        if not req.body:
            return json_response(400, {"detail": "Empty upload"}, self._headers())
        ctype = (req.header("Content-Type") or "application/octet-stream").split(";")[0].strip()
        name = req.header("X-Fal-File-Name") or "upload.bin"
        ext = name.rsplit(".", 1)[-1] if "." in name else "bin"
        ttl = self.config["output_url_ttl"]
        try:  # fal_client's lifecycle header: {"expiration_duration_seconds": N}
            asked = json.loads(req.header("X-Fal-Object-Lifecycle") or "{}").get(
                "expiration_duration_seconds"
            )
        except (ValueError, AttributeError):
            return json_response(
                400, {"detail": "X-Fal-Object-Lifecycle must be a JSON object"}, self._headers()
            )
        if isinstance(asked, (int, float)) and not isinstance(asked, bool) and asked > 0:
            ttl = float(asked) if ttl is None else min(ttl, float(asked))
        url = self.ctx.storage.put(
            f"/fal/files/uploads/{uuid.uuid4().hex}.{ext}", req.body, ctype, self.name, ttl
        )
        self.ctx.storage.keep("fal-upload:" + url, {"lifetime": asked, "bytes": len(req.body)})
        resp = json_response(
            200, {"access_url": url, "content_type": ctype, "file_name": name}, self._headers()
        )
        resp.delay = delay_of(fault, self.config["slow_seconds"])
        return resp

    def _initiate_upload(self, req: Request) -> Response:
        self.count("presigns")
        fault = self.take_fault("presign")
        early = self.early_fault(fault)
        if early is not None:
            return early
        try:
            body = req.json()
        except BadRequestBody:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("content_type"), str):
            return self.validation_error(["content_type"], "Field required", "missing")
        signed = self.ctx.storage.presign(body["content_type"], 7 * 24 * 3600.0, provider=self.name)
        return json_response(
            200, {"upload_url": signed["presigned_url"], "file_url": signed["public_url"]}, self._headers()
        )

    # --- status, stream, result, cancel ------------------------------------------------------------

    def status_body(self, job: Job, logs: bool, fault: Fault | None = None) -> tuple[int, dict[str, Any]]:
        phase = job.phase()
        status = self.words[phase]
        body: dict[str, Any] = {
            "status": status,
            "request_id": job.id,
            "response_url": self._urls(job)["response_url"],
        }
        now = time.monotonic()
        if phase in ("queued", "starting"):
            left = (job.started - now) / max(job.started - job.created, 1e-9)
            body["queue_position"] = max(0, min(QUEUE_DEPTH - 1, math.ceil(left * QUEUE_DEPTH) - 1))
        else:
            body["logs"] = self._logs(job) if logs else None  # fal sends logs only when asked (?logs=1)
        if phase not in RUNNING_PHASES:
            body["metrics"] = {"inference_time": round((job.finished or job.end) - job.started, 3)}
            body["error"], body["error_type"] = {
                "failed": ("Internal error while running the model", "internal_error"),
                "moderated": ("The content was flagged by the content checker.", "content_policy_violation"),
                "cancelled": ("Request was cancelled", "request_cancelled"),
                "aborted": ("Request was cancelled", "request_cancelled"),
            }.get(phase, (None, None))
            if phase in ("cancelled", "aborted") and self.config["fal_cancelled_status"] == "CANCELLED":
                body["status"] = "CANCELLED"
        if fault is not None and fault.kind == "unknown_status":
            body["status"] = fault.param("status", "WARMING")
        return (202 if phase in RUNNING_PHASES else 200), body

    @staticmethod
    def _logs(job: Job) -> list[dict[str, Any]]:
        ticks = max(1, int(job.progress() * 4))
        return [
            {
                "message": f"Generating image: step {k + 1}/4",
                "level": "INFO",
                "source": "user",
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
            }
            for k in range(ticks)
        ]

    def _status(self, req: Request, job: Job | None) -> Response:
        self.count("polls")
        fault = self.take_fault("poll")
        if job is None:
            return self.around(req, fault, lambda: self.error(404, message="Request not found"))

        def answer() -> Response:
            code, body = self.status_body(job, req.arg("logs") in ("1", "true"), fault)
            return json_response(code, body, self._headers(job.id))

        return self.around(req, fault, answer)

    def _stream(self, req: Request, job: Job | None) -> Response:
        self.count("stream_requests")
        fault = self.take_fault("stream", "poll")
        if job is None:
            return self.around(req, fault, lambda: self.error(404, message="Request not found"))
        logs = req.arg("logs") in ("1", "true")

        def events() -> Iterator[bytes]:
            last = None
            sent = 0
            while True:
                code, body = self.status_body(job, logs)
                text = json.dumps(body, separators=(",", ":"))
                if text != last:
                    if (
                        fault is not None
                        and fault.kind == "stream_error"
                        and sent >= int(fault.param("after_events", 1))
                    ):
                        return  # the stream just ends: a client must fall back to polling
                    yield f"data: {text}\n\n".encode()
                    last, sent = text, sent + 1
                if code == 200 or not sleep_until(self.ctx.stopping, time.monotonic() + 0.05):
                    return

        return self.around(
            req,
            fault,
            lambda: Response(
                200,
                headers={
                    **self._headers(job.id),
                    "Content-Type": "text/event-stream",
                    "Cache-Control": "no-cache",
                },
                stream=events(),
            ),
        )

    def _result(self, req: Request, job: Job | None) -> Response:
        self.count("results")
        fault = self.take_fault("result")
        if job is None:
            return self.around(req, fault, lambda: self.error(404, message="Request not found"))
        return self.around(req, fault, lambda: self._result_body(job))

    def _result_body(self, job: Job) -> Response:
        phase = job.phase()
        headers = self._headers(job.id)
        if phase in RUNNING_PHASES:
            return json_response(400, {"detail": "Request is still in progress"}, headers)
        if phase == "moderated":
            return self.validation_error(
                ["prompt"], "The content was flagged by the content checker.", "content_policy_violation"
            )
        if phase in ("cancelled", "aborted"):
            return json_response(
                400, {"detail": "Request was cancelled", "error_type": "request_cancelled"}, headers
            )
        if phase == "failed":
            return json_response(
                500,
                {"detail": "Internal error while running the model", "error_type": "internal_error"},
                {**headers, "X-Fal-Error-Type": "internal_error", "X-Fal-Retryable": "true"},
            )
        return json_response(
            200, {"images": job.outputs, "usage": job.extra["usage"], "prompt": job.spec.prompt}, headers
        )

    def _history(self, req: Request) -> Response:
        """`GET /v1/models/requests/by-endpoint`: the account's requests to one or more endpoints
        (fal.ai/docs/platform-apis/v1/models/requests/by-endpoint). Listed once they have ended (the
        history sorts by end time; whether running requests show is not documented, so they do not
        here); `start`/`end` bound the end time (default: the last 24 hours); `cursor` is the base64 page
        number; `expand=payloads` adds `json_input`/`json_output`."""
        self.count("lists")
        fault = self.take_fault("list")

        def answer() -> Response:
            endpoints = [
                e.strip().strip("/")
                for v in req.query.get("endpoint_id", [])
                for e in v.split(",")
                if e.strip()
            ]
            if not endpoints:
                return self.validation_error(["query", "endpoint_id"], "Field required", "missing")
            try:
                limit = int(req.arg("limit") or 50)
            except ValueError:
                limit = 0
            if not 1 <= limit <= 100:
                return self.validation_error(
                    ["query", "limit"], "Input should be between 1 and 100", "less_than_equal"
                )
            now = time.time()
            try:
                start = parse_iso(req.arg("start"))
                end = parse_iso(req.arg("end"))
                page = int(base64.b64decode(req.arg("cursor") or "MQ==", validate=True).decode())
            except ValueError as exc:
                return self.validation_error(["query"], f"Invalid start, end or cursor: {exc}", "value_error")
            start = now - 86_400 if start is None else start
            end = now if end is None else end
            expand = {e.strip() for v in req.query.get("expand", []) for e in v.split(",")}
            wanted_status = req.arg("status")
            rid = req.arg("request_id")
            items = []
            for job in self.ctx.jobs.all(self.name):
                phase = job.phase()
                if phase in RUNNING_PHASES or job.model not in endpoints or (rid and job.id != rid):
                    continue
                ended = job.wall(job.finished)
                if ended is None or not start <= ended < end:
                    continue
                code = {"succeeded": 200, "moderated": 422, "failed": 500}.get(phase, 400)
                status = "success" if code == 200 else "user_error" if code < 500 else "error"
                if wanted_status and wanted_status != status:
                    continue
                item: dict[str, Any] = {
                    "request_id": job.id,
                    "endpoint_id": job.model,
                    "sent_at": iso(job.created_wall),
                    "started_at": iso(job.wall(job.started)),
                    "ended_at": iso(ended),
                    "status_code": code,
                    "duration": round(ended - job.created_wall, 3),
                }
                if "payloads" in expand:
                    item["json_input"] = job.extra.get("input")
                    item["json_output"] = (
                        {"images": job.outputs, "usage": job.extra.get("usage")}
                        if code == 200
                        else {"detail": job.error or "Request failed"}
                    )
                items.append(item)
            key = "duration" if req.arg("sort_by") == "duration" else "ended_at"
            items.sort(key=lambda i: i[key], reverse=True)
            chunk = items[(page - 1) * limit : page * limit]
            more = page * limit < len(items)
            body = {
                "items": chunk,
                "has_more": more,
                "next_cursor": base64.b64encode(str(page + 1).encode()).decode() if more else None,
            }
            return json_response(200, body, self._headers())

        return self.around(req, fault, answer)

    def _cancel(self, req: Request, job: Job | None) -> Response:
        self.count("cancels")
        fault = self.take_fault("cancel")
        if job is None:
            return self.around(
                req, fault, lambda: json_response(404, {"status": "NOT_FOUND"}, self._headers())
            )
        phase = job.phase()
        if phase not in RUNNING_PHASES:
            return self.around(
                req, fault, lambda: json_response(400, {"status": "ALREADY_COMPLETED"}, self._headers(job.id))
            )
        if phase in ("queued", "starting"):
            # a queued request is simply removed (docs: "If the request is in the queue, fal removes it");
            # only a running one depends on the app honouring the signal (`cancel_wins`)
            job.cancel_wins = True
        job.request_cancel()
        return self.around(
            req,
            fault,
            lambda: json_response(202, {"status": "CANCELLATION_REQUESTED"}, self._headers(job.id)),
        )
