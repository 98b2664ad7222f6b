"""each::labs prediction API, as described in docs/providers.md "each::labs" (docs commit f10dd45, Aug 2026).

Quirks kept on purpose: create answers 200 (not 201) with `predictionID` (capital ID); statuses are
`created/starting/processing/success/error/cancelled` (double l); input images must be URLs from the
upload flow (data: URIs are refused); `Authorization: Bearer` and the older `X-API-Key` both work."""

from __future__ import annotations

import re
import uuid
from typing import Any

from .common import InputProblem, ProviderApi, bearer
from .edits import EditSpec, choose_edit, render
from .faults import Fault, retry_after_headers
from .models import shut_down
from .sizes import STANDARD_SIZES, gpt_image_2_problem, parse
from .state import Job
from .usage import EACHLABS_GPT2_PRICES, cost, usage
from .wire import BadRequestBody, Request, Response, json_response

MODELS = {
    "gpt-image-v2-edit": "gpt-image-2",
    "gpt-image-v1-5-edit": "gpt-image-1.5",
}
FILE_TYPES = ("image", "video", "audio", "other")

_PREDICTION = re.compile(r"^/v1/prediction/([^/]+)(/cancel)?/?$")
_FILE = re.compile(r"^/v1/files/([^/]+)/?$")


class EachlabsApi(ProviderApi):
    name = "eachlabs"
    words = {
        "queued": "created",
        "starting": "starting",
        "processing": "processing",
        "succeeded": "success",
        "failed": "error",
        "moderated": "error",
        "cancelled": "cancelled",
        "aborted": "cancelled",
    }

    def error(
        self, status: int, fault: Fault | None = None, message: str | None = None, details: str | None = None
    ) -> Response:
        headers = {"X-Request-Id": str(uuid.uuid4())}
        if status == 401:
            body: dict[str, Any] = {"error": "Invalid or missing API key"}
        elif status == 402:
            body = {
                "status": 402,
                "error": "payment required",
                "details": "the estimated cost of your in-flight executions exceeds your current balance "
                "($1.00). Top up your balance to run more predictions.",
            }
        elif status == 429:
            limit = self.config["max_inflight"]
            body = {
                "status": 429,
                "error": "too many requests",
                "details": f"Account rate limited: accounts with a balance of $10.00 or less are limited "
                f"to {limit} concurrent executions. Wait for running predictions to finish.",
            }
            if fault is not None:
                headers.update(retry_after_headers(fault))
        elif status == 404:
            body = {"error": message or "Prediction not found"}
        elif status >= 500:
            body = {"error": message or "Internal server error"}
        else:
            body = {"error": message or "Invalid input for model"}
            if details:
                body.update({"status": status, "details": details})
        if fault is not None and fault.param("message"):
            body["error"] = fault.param("message")
        return json_response(status, body, headers)

    def _auth(self, req: Request) -> str | None:
        """The scheme that authenticated, or None."""
        token, scheme = bearer(req), "bearer"
        if token is None:
            token, scheme = (req.header("X-API-Key") or "").strip() or None, "x-api-key"
        return scheme if token and token != "invalid" else None

    def handle(self, req: Request, path: str) -> Response:
        if req.method == "GET" and (path in ("/v1/models", "/v1/model") or path.startswith("/v1/models/")):
            return self._models(req, path)  # public, no key needed
        auth = self._auth(req)
        if auth is None:
            return self.error(401)
        if req.method == "POST" and path in ("/v1/prediction", "/v1/prediction/"):
            return self._create(req, auth)
        if req.method == "POST" and path.rstrip("/") == "/v1/prediction/run":
            return self.error(
                400,
                message="Synchronous execution is not enabled for this model; "
                "create a prediction and poll it",
            )
        if req.method == "POST" and path.rstrip("/") == "/v1/upload/presign":
            return self._presign(req)
        m = _FILE.match(path)
        if m and req.method == "DELETE":
            self.count("deletes")
            self.ctx.storage.delete_upload(m.group(1))
            return Response(204)  # idempotent: deleting twice (or an unknown id) is still 204
        m = _PREDICTION.match(path)
        if m and m.group(2) and req.method == "POST":
            return self._cancel(req, m.group(1))
        if m and not m.group(2) and req.method == "GET":
            return self._poll(req, m.group(1))
        return self.error(404, message="Not found")

    # --- create ------------------------------------------------------------------------------------

    def _create(self, req: Request, auth: str) -> Response:
        self.count("creates")
        fault = self.take_fault("create")
        early = self.early_fault(fault)
        if early is not None:
            return early
        try:
            body = req.json()
        except BadRequestBody as exc:
            return self.error(400, fault=None, message="Invalid request body", details=str(exc))
        if not isinstance(body, dict) or not body.get("model"):
            return self.error(400, message="model field is required")
        slug = body["model"]
        if slug not in MODELS or shut_down(slug, self.config):
            return self.error(
                404,
                message="Model not found",
            )
        if not isinstance(body.get("input"), dict):
            return self.error(400, details="input field is required and must be an object")
        limit = self.config["max_inflight"]
        if self.ctx.jobs.inflight(self.name) >= limit:
            self.count("rejected_creates")  # rejected requests are not billed (errors.mdx)
            return self.error(429)
        try:
            spec, images, mask, record = self._read_input(slug, body["input"], auth)
        except InputProblem as exc:
            return self.error(400, details=exc.message)
        record["version"] = body.get("version")
        record["webhook_url"] = body.get("webhook_url")

        def make() -> Job:
            return self.new_job(str(uuid.uuid4()), slug, spec, images, mask, record, fault, self._finish)

        def answer(job: Job) -> Response:
            job.extra["input"] = body["input"]
            return json_response(
                200,
                {"status": "success", "message": "Prediction created successfully", "predictionID": job.id},
                {"X-Request-Id": str(uuid.uuid4())},
            )

        return self.around_create(req, fault, make, answer)

    def _read_input(self, slug: str, inp: dict[str, Any], auth: str):
        prompt = inp.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise InputProblem("prompt is required", "prompt")
        # the published schema's variant decides which image field the model takes (the other is refused)
        if self.config["eachlabs_schema"] == "image_url":
            if "image_urls" in inp or not isinstance(inp.get("image_url"), str):
                raise InputProblem(
                    "image_url is required (one image URL); this model has no image_urls", "image_url"
                )
            urls = [inp["image_url"]]
        else:
            urls = inp.get("image_urls")
            if "image_url" in inp or not isinstance(urls, list) or not 1 <= len(urls) <= 16:
                raise InputProblem(
                    "image_urls must be a list of 1 to 16 image URLs; this model has no image_url",
                    "image_urls",
                )
        images = [self.load_image(u, f"image_urls[{i}]", allow_data=False) for i, u in enumerate(urls)]
        infos = [self.check_image(d, f"image_urls[{i}]") for i, d in enumerate(images)]
        mask = infos_mask = None
        if inp.get("mask_url"):
            mask = self.load_image(inp["mask_url"], "mask_url", allow_data=False)
            infos_mask = self.check_image(mask, "mask_url", ("png",))
        # left out, image_size falls back to the documented default 1024x1024 (the v1.5 schema), whatever
        # the input's shape; "auto" is in no documented enum and only the v2 slug takes it here
        size_text = inp.get("image_size", "1024x1024")
        if not isinstance(size_text, str):
            raise InputProblem("image_size must be a string such as '1024x1536'", "image_size")
        if size_text == "auto" and slug != "gpt-image-v2-edit":
            raise InputProblem("image_size must be one of 1024x1024, 1536x1024, 1024x1536", "image_size")
        try:
            size = parse(size_text)
        except ValueError as exc:
            raise InputProblem(str(exc), "image_size") from exc
        if size is not None:
            problem = (
                gpt_image_2_problem(*size)
                if slug == "gpt-image-v2-edit"
                else (None if size in STANDARD_SIZES else "use 1024x1024, 1536x1024 or 1024x1536")
            )
            if problem:
                raise InputProblem(f"image_size {size_text}: {problem}", "image_size")
        n = inp.get("num_images", 1)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10:
            raise InputProblem("num_images must be a whole number from 1 to 10", "num_images")
        fmt = inp.get("output_format", "png")
        if fmt not in ("png", "jpeg", "webp"):
            raise InputProblem("output_format must be png, jpeg or webp", "output_format")
        background = inp.get("background", "auto")
        if background not in ("auto", "transparent", "opaque"):
            raise InputProblem("background must be auto, transparent or opaque", "background")
        if background == "transparent" and fmt == "jpeg":
            raise InputProblem("a transparent background needs output_format png or webp", "background")
        quality = inp.get("quality", "high")
        if quality not in ("low", "medium", "high", "auto"):
            raise InputProblem("quality must be low, medium, high or auto", "quality")
        spec = EditSpec(prompt, choose_edit(prompt, self.config["edit"]), size, fmt, background, n)
        params = {k: v for k, v in inp.items() if k not in ("prompt", "image_urls", "image_url", "mask_url")}
        record = self.record(prompt, params, infos, infos_mask, auth, image_urls=list(urls), model=slug)
        record["quality"] = quality
        return spec, images, mask, record

    def _finish(self, job: Job) -> None:
        ttl = self.config["output_url_ttl"]
        for i, out in enumerate(render(job.spec, job.images, job.mask)):
            path = f"/eachlabs/outputs/{job.id}/{i}.{out.extension}"
            url = self.ctx.storage.put(path, out.data, out.mime, self.name, ttl)
            job.outputs.append(
                {"url": url, "width": out.width, "height": out.height, "content_type": out.mime}
            )
        first = job.outputs[0]
        sizes = [(i["width"], i["height"]) for i in job.record["images"]]
        job.extra["usage"] = usage(
            MODELS[job.model],
            job.spec.prompt,
            sizes,
            (first["width"], first["height"]),
            job.record.get("quality", "high"),
            job.spec.n,
        )

    # --- poll / cancel -----------------------------------------------------------------------------

    def _poll(self, req: Request, job_id: str) -> Response:
        self.count("polls")
        fault = self.take_fault("poll")
        job = self.ctx.jobs.get(job_id, self.name)
        if job is None:
            return self.around(req, fault, lambda: self.error(404))
        return self.around(req, fault, lambda: json_response(200, self.prediction(job, fault)))

    def prediction(self, job: Job, fault: Fault | None = None) -> dict[str, Any]:
        phase = job.phase()
        status = self.words[phase]
        if fault is not None and fault.kind == "unknown_status":
            status = fault.param("status", "warming")
        base = f"{self.ctx.api_url}/eachlabs/v1/prediction/{job.id}"
        output: Any = None
        metrics = None
        if phase == "succeeded":
            urls = [o["url"] for o in job.outputs]
            shape = self.config["output_shape"]["eachlabs"]
            output = {
                "array": urls,
                "string": urls[0],
                "object": {"url": urls[0]},
                "object_list": [{"url": u} for u in urls],
            }[shape]
        elif phase in ("failed", "moderated"):
            output = self._envelope(job, phase)
        if phase in ("succeeded", "failed", "moderated"):
            predict = round((job.finished or job.end) - job.started, 3)
            spent = cost(job.extra["usage"], EACHLABS_GPT2_PRICES) if "usage" in job.extra else 0.0
            metrics = {"predict_time": predict, "cost": spent}
        return {
            "id": job.id,
            "input": job.extra.get("input", {}),
            "status": status,
            "output": output,
            "logs": None,
            "metrics": metrics,
            "urls": {"cancel": base + "/cancel", "get": base},
        }

    def _envelope(self, job: Job, phase: str) -> dict[str, Any]:
        """The failure envelope captured from production (video/billing-limits.mdx); its exact form
        for gpt-image-v2-edit is UNCONFIRMED, so clients should read it defensively."""
        moderated = phase == "moderated"
        category = "content_moderation" if moderated else "provider_error"
        return {
            "success": False,
            "error": "Execution failed",
            "error_code": "CONTENT_POLICY_VIOLATION" if moderated else "PROVIDER_ERROR",
            "error_message": (
                "Your request was rejected by the safety system."
                if moderated
                else "The model provider returned an error."
            ),
            "error_step": "model_execution",
            "classification": {"category": category},
            "retryable": not moderated,
            "execution_id": job.id,
            "model_slug": job.model,
            "provider": "openai",
        }

    def _cancel(self, req: Request, job_id: str) -> Response:
        self.count("cancels")
        fault = self.take_fault("cancel")
        job = self.ctx.jobs.get(job_id, self.name)
        if job is None:
            return self.around(req, fault, lambda: self.error(404))
        job.request_cancel()  # best effort: with cancel_wins false the job still finishes
        return self.around(
            req,
            fault,
            lambda: json_response(
                200,
                {
                    "status": "cancelled",
                    "message": "Prediction canceled successfully",
                    "predictionID": job.id,
                },
            ),
        )

    # --- storage and model catalogue --------------------------------------------------------------

    def _presign(self, req: Request) -> Response:
        self.count("presigns")
        fault = self.take_fault("presign")

        def answer() -> Response:
            try:
                body = req.json()
            except BadRequestBody:
                body = None
            if not isinstance(body, dict) or not body.get("content_type"):
                return self.error(400, message="content_type is required")
            if body.get("file_type", "image") not in FILE_TYPES:
                return self.error(400, message="file_type must be one of image, video, audio, other")
            retention = body.get("expires_in_seconds", 180 * 24 * 3600)
            if (
                isinstance(retention, bool)
                or not isinstance(retention, int)
                or not 60 <= retention <= 31536000
            ):
                return self.error(400, message="expires_in_seconds must be between 60 and 31536000")
            return json_response(200, self.ctx.storage.presign(str(body["content_type"]), float(retention)))

        return self.around(req, fault, answer)

    def _models(self, req: Request, path: str) -> Response:
        """`GET /v1/models` (the list), and one model with its `request_schema` as both
        `GET /v1/model?slug=…` (each::labs' skills) and `GET /v1/models/{slug}` (its API reference)."""
        if path.rstrip("/") == "/v1/models":
            return json_response(200, [{"title": s, "slug": s, "version": "0.0.1"} for s in MODELS])
        self.count("schema_reads")
        fault = self.take_fault("schema")
        slug = req.arg("slug") if path == "/v1/model" else path[len("/v1/models/") :].strip("/")

        def answer() -> Response:
            if slug not in MODELS:
                return json_response(404, {"error": "Failed to fetch model: model not found"})
            return json_response(
                200,
                {
                    "title": slug,
                    "slug": slug,
                    "version": "0.0.1",
                    "output_type": "array",
                    "request_schema": request_schema(slug, self.config["eachlabs_schema"]),
                    "cost": None,
                },
            )

        return self.around(req, fault, answer)


def request_schema(slug: str, variant: str) -> dict[str, Any]:
    """The JSON Schema the sandbox publishes for a slug. `variant` picks the documented image field:
    "image_urls" (a list of up to 16) or "image_url" (one URL, as each::labs' v2 skill names it)."""
    v15 = slug == "gpt-image-v1-5-edit"
    image = (
        {"image_url": {"type": "string", "format": "uri", "description": "Image to edit"}}
        if variant == "image_url"
        else {
            "image_urls": {
                "type": "array",
                "items": {"type": "string", "format": "uri"},
                "maxItems": 16,
                "description": "Images to edit; the first is edited, the rest are references",
            }
        }
    )
    size: dict[str, Any] = {"type": "string", "default": "1024x1024"}
    if v15:
        size["enum"] = ["1024x1024", "1536x1024", "1024x1536"]
    else:
        size["description"] = "WIDTHxHEIGHT (edges multiples of 16, ratio up to 3:1, 0.65-8.3 MP) or auto"
    props: dict[str, Any] = {
        "prompt": {"type": "string", "description": "What to change"},
        **image,
        "image_size": size,
        "quality": {"type": "string", "enum": ["low", "medium", "high"], "default": "high"},
        "background": {"type": "string", "enum": ["auto", "transparent", "opaque"], "default": "auto"},
        "output_format": {"type": "string", "enum": ["png", "jpeg", "webp"], "default": "png"},
        "num_images": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1},
    }
    if v15:
        props["moderation"] = {"type": "string", "enum": ["low", "auto"], "default": "low"}
        props["input_fidelity"] = {"type": "string", "enum": ["low", "high"], "default": "low"}
    return {"type": "object", "required": ["prompt", next(iter(image))], "properties": props}
