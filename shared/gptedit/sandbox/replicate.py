"""Replicate predictions for the official `openai/gpt-image-*` models, docs/providers.md "Replicate"
(replicate-python 0110c2c and its cassettes, replicate-python-beta 48e138a).

Quirks kept on purpose: create answers 201; `Prefer: wait[=N]` holds the create up to N seconds and then
returns whatever state the prediction is in, echoing `Preference-Applied`; `canceled` with one l;
`Cancel-After` deadlines end in `aborted` before the start; outputs vanish after the data-removal period
(`output: null`, `data_removed: true`); errors are RFC 7807 problem+json."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from .common import InlineTooLarge, InputProblem, ProviderApi, bearer
from .edits import EditSpec, ImageInfo, choose_edit, render
from .faults import Fault, delay_of, retry_after_headers
from .models import shut_down
from .state import RUNNING_PHASES, Job, iso, parse_iso
from .wire import BadRequestBody, Request, Response, json_response, parse_multipart, text_response

MODELS = ("openai/gpt-image-2", "openai/gpt-image-1.5", "openai/gpt-image-1", "openai/gpt-image-1-mini")
ASPECT_SIZES = {"1:1": (1024, 1024), "3:2": (1536, 1024), "2:3": (1024, 1536)}
#: the newer gpt-image-2 schema's extra aspect ratios and pixel sizes (mirrors of Replicate's schema)
NEWER_SIZES = {
    "16:9": (1536, 864),
    "9:16": (864, 1536),
    "1024x1024": (1024, 1024),
    "1536x1024": (1536, 1024),
    "1024x1536": (1024, 1536),
    "2048x2048": (2048, 2048),
    "3840x2160": (3840, 2160),
}
_MODEL = re.compile(r"^/v1/models/([^/]+/[^/]+)/?$")

_CREATE = re.compile(r"^/v1/models/([^/]+/[^/]+)/predictions/?$")
_PREDICTION = re.compile(r"^/v1/predictions/([a-z0-9]+)(/cancel)?/?$")
_FILE = re.compile(r"^/v1/files/([A-Za-z0-9_-]+)/?$")
#: the Files API takes up to 100 MiB (replicate/replicate-javascript#286); uploads are kept a day
MAX_FILE = 100 * 1024 * 1024
FILE_TTL = 24 * 3600.0
_PREFER_WAIT = re.compile(r"^\s*wait\s*(?:=\s*(\d+))?\s*$", re.IGNORECASE)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_duration(text: str) -> float | None:
    """Replicate's Cancel-After: '30s', '5m', '1h30m', '500ms' or plain seconds."""
    text = (text or "").strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    if not text or _DURATION.sub("", text):
        return None
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(num) * scale[unit] for num, unit in _DURATION.findall(text))


def _problem(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"title": title, "detail": detail, "status": status, **extra}


class ReplicateApi(ProviderApi):
    name = "replicate"
    words = {
        "queued": "starting",
        "starting": "starting",
        "processing": "processing",
        "succeeded": "succeeded",
        "failed": "failed",
        "moderated": "failed",
        "cancelled": "canceled",
        "aborted": "aborted",
    }

    def error(
        self, status: int, fault: Fault | None = None, message: str | None = None, **extra: Any
    ) -> Response:
        headers = {"ratelimit-remaining": "599", "ratelimit-reset": "1"}
        if status == 401:
            body = _problem(
                401, "Unauthenticated", message or "You did not pass a valid authentication token"
            )
        elif status == 402:
            body = _problem(
                402,
                "Insufficient credit",
                "You have insufficient credit to run this model. "
                "Go to your account's billing page to purchase credit.",
            )
        elif status == 429:
            wait = int(fault.param("retry_after", 30)) if fault else 30
            # throttling uses a plain `detail` object, not the full problem shape [R3]
            body = {"detail": f"Request was throttled. Your rate limit resets in ~{wait}s.", "status": 429}
            headers.update({"ratelimit-remaining": "0", "ratelimit-reset": str(wait)})
            if fault is not None:
                headers.update(retry_after_headers(fault))
        elif status == 404:
            body = _problem(404, "Not found", message or "The requested resource could not be found.")
        elif status >= 500:
            body = _problem(status, "Internal server error", message or "An internal error occurred.")
        else:
            body = _problem(
                status,
                "Input validation failed" if status == 422 else "Bad request",
                message or "Invalid request.",
                **extra,
            )
        if fault is not None and fault.param("message"):
            body["detail"] = fault.param("message")
        return json_response(status, body, headers, "application/problem+json")

    def handle(self, req: Request, path: str) -> Response:
        token = bearer(req)
        if token is None:
            scheme, _, rest = (req.header("Authorization") or "").partition(" ")
            token = rest.strip() if scheme == "Token" and rest.strip() else None  # the older scheme
        if token is None:
            return self.error(401, message="You did not pass an authentication token")
        if token == "invalid":
            return self.error(401)
        m = _CREATE.match(path)
        if m and req.method == "POST":
            return self._create(req, m.group(1))
        m = _MODEL.match(path)
        if m and req.method == "GET":
            return self._model(req, m.group(1))
        if path.rstrip("/") == "/v1/files":
            if req.method == "POST":
                return self._file_create(req)
            if req.method == "GET":
                return json_response(
                    200,
                    {
                        "next": None,
                        "previous": None,
                        "results": [self._file_json(r) for r in self.ctx.storage.records("replicate-file:")],
                    },
                )
        m = _FILE.match(path)
        if m and req.method == "GET":
            record = self.ctx.storage.record("replicate-file:" + m.group(1))
            return json_response(200, self._file_json(record)) if record else self.error(404)
        if m and req.method == "DELETE":
            record = self.ctx.storage.drop("replicate-file:" + m.group(1))
            if record is None:
                return self.error(404)
            self.ctx.storage.remove(record["path"])
            return Response(204)
        if path.rstrip("/") == "/v1/predictions" and req.method == "GET":
            return self._list(req)
        if path.rstrip("/") == "/v1/predictions" and req.method == "POST":
            return self.error(
                422,
                message="Community models need a version; the sandbox serves only the "
                "official openai/gpt-image-* models under /v1/models/…",
            )
        m = _PREDICTION.match(path)
        if m and m.group(2) and req.method == "POST":
            return self._cancel(req, m.group(1))
        if m and not m.group(2) and req.method == "GET":
            return self._poll(req, m.group(1))
        return self.error(404)

    # --- create ------------------------------------------------------------------------------------

    def _create(self, req: Request, model: str) -> Response:
        self.count("creates")
        fault = self.take_fault("create")
        early = self.early_fault(fault)
        if early is not None:
            return early
        if model not in MODELS or shut_down(model, self.config):
            return self.error(404, message=f"Model {model} not found.")
        try:
            body = req.json()
        except BadRequestBody as exc:
            return self.error(400, message=str(exc))
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            return self.error(
                422,
                message="- input: input is required",
                invalid_fields=[{"type": "required", "field": "input", "description": "input is required"}],
            )
        try:
            spec, images, infos, record = self._read_input(model, body["input"])
        except InlineTooLarge:
            # the front end refuses the body before the API sees it: nginx's HTML page, not problem+json
            # (replicate/replicate-python#68, #133, #135)
            self.count("inline_rejected")
            return text_response(
                413,
                "<html><head><title>413 Request Entity Too Large</title></head><body>"
                "<center><h1>413 Request Entity Too Large</h1></center></body></html>",
                "text/html",
            )
        except InputProblem as exc:
            return self.error(
                422,
                message=f"- input.{exc.field}: {exc.message}",
                invalid_fields=[
                    {"type": exc.code or "invalid", "field": f"input.{exc.field}", "description": exc.message}
                ],
            )
        wait = self._prefer_wait(req)
        deadline = parse_duration(req.header("Cancel-After") or "")

        def make() -> Job:
            job = self.new_job(self._new_id(), model, spec, images, None, record, fault, self._finish)
            job.extra.update(input=body["input"], infos=infos)
            if deadline is not None:
                job.deadline = job.created + deadline
            return job

        def answer(job: Job) -> Response:
            headers = {"ratelimit-remaining": "599", "ratelimit-reset": "1"}
            if wait is not None:
                seconds, applied = wait
                headers["Preference-Applied"] = applied
                limit = time.monotonic() + seconds
                while job.phase() in RUNNING_PHASES and time.monotonic() < limit:
                    if self.ctx.stopping.wait(min(0.02, max(0.0, limit - time.monotonic()))):
                        break
            return json_response(201, self.prediction(job), headers)

        return self.around_create(req, fault, make, answer)

    @staticmethod
    def _prefer_wait(req: Request) -> tuple[float, str] | None:
        m = _PREFER_WAIT.match(req.header("Prefer") or "")
        if not m:
            return None
        if m.group(1) is None:
            return 60.0, "wait"
        return float(max(1, min(60, int(m.group(1))))), f"wait={max(1, min(60, int(m.group(1))))}"

    @staticmethod
    def _new_id() -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        return "".join(secrets.choice(alphabet) for _ in range(26))

    def _read_input(self, model: str, inp: dict[str, Any]):
        prompt = inp.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise InputProblem("prompt is required", "prompt", "required")
        refs = inp.get("input_images", [])
        if not isinstance(refs, list):
            raise InputProblem("input_images must be an array of URLs", "input_images", "type")
        images = [self.load_image(u, f"input_images[{i}]") for i, u in enumerate(refs)]
        infos: list[ImageInfo] = [self.check_image(d, f"input_images[{i}]") for i, d in enumerate(images)]
        gpt2 = model == "openai/gpt-image-2"
        aspect = inp.get("aspect_ratio")
        allowed = aspect_ratios(model, self.config["replicate_schema"])
        if aspect is not None and aspect not in allowed:
            raise InputProblem(
                "aspect_ratio must be one of the following: " + ", ".join(f'"{a}"' for a in allowed),
                "aspect_ratio",
                "enum",
            )
        n = inp.get("number_of_images", 1)
        most = most_images(model, self.config["replicate_schema"])
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= most:
            raise InputProblem(
                f"number_of_images must be between 1 and {most}",
                "number_of_images",
                "number_one_of" if gpt2 else "range",
            )
        backgrounds = ("auto", "opaque") if gpt2 else ("auto", "opaque", "transparent")
        background = inp.get("background", "auto")
        if background not in backgrounds:
            raise InputProblem(
                "background must be one of the following: " + ", ".join(backgrounds), "background", "enum"
            )
        fmt = inp.get("output_format", "webp")
        if fmt not in ("webp", "png", "jpeg"):
            raise InputProblem(
                'output_format must be one of the following: "webp", "png", "jpeg"', "output_format", "enum"
            )
        if inp.get("quality", "auto") not in ("low", "medium", "high", "auto"):
            raise InputProblem(
                "quality must be one of the following: low, medium, high, auto", "quality", "enum"
            )
        compression = inp.get("output_compression", 90)
        if isinstance(compression, bool) or not isinstance(compression, int) or not 0 <= compression <= 100:
            raise InputProblem("output_compression must be between 0 and 100", "output_compression", "range")
        # an explicit aspect ratio picks the size; without one an edit keeps the first input's size
        sizes = {**ASPECT_SIZES, **NEWER_SIZES}
        size = sizes.get(aspect) if aspect and aspect != "auto" else (None if images else ASPECT_SIZES["1:1"])
        spec = EditSpec(
            prompt,
            choose_edit(prompt, self.config["edit"]),
            size,
            fmt,
            background,
            n,
            None if fmt == "png" else compression,
        )
        params = {k: v for k, v in inp.items() if k not in ("prompt", "input_images", "openai_api_key")}
        record = self.record(
            prompt,
            params,
            infos,
            None,
            "bearer",
            model=model,
            sent_openai_api_key="openai_api_key" in inp,
            image_url_kinds=["data" if str(u).startswith("data:") else "url" for u in refs],
        )
        return spec, images, infos, record

    def _finish(self, job: Job) -> None:
        ttl = self.config["output_url_ttl"]
        removal = self.config["replicate_data_removed_after"]
        ttl = removal if ttl is None else min(ttl, removal)
        # counted from the end of the run (rendering happens on the first look after it), so the CDN
        # and the prediction's `data_removed` agree
        ttl = max(0.0, ttl - (time.monotonic() - job.end))
        for i, out in enumerate(render(job.spec, job.images, job.mask)):
            path = f"/replicate/pbxt/{job.id}/out-{i}.{out.extension}"
            job.outputs.append({"url": self.ctx.storage.put(path, out.data, out.mime, self.name, ttl)})

    # --- the model and its published input schema -------------------------------------------------

    def _model(self, req: Request, model: str) -> Response:
        """`GET /v1/models/{owner}/{name}`: the model with its latest version's OpenAPI schema, the way
        replicate-python's `models.get` reads it (enums as `allOf` + `$ref` into components.schemas)."""
        self.count("schema_reads")
        fault = self.take_fault("schema")
        if model not in MODELS:
            return self.around(req, fault, lambda: self.error(404, message=f"Model {model} not found."))
        owner, name = model.split("/")
        variant = self.config["replicate_schema"]

        def answer() -> Response:
            return json_response(
                200,
                {
                    "url": f"https://replicate.com/{model}",
                    "owner": owner,
                    "name": name,
                    "description": "OpenAI's image model",
                    "visibility": "public",
                    "is_official": True,
                    "run_count": 1000,
                    "latest_version": {
                        "id": "hidden",
                        "created_at": "2026-08-01T00:00:00.000Z",
                        "cog_version": "0.16.0",
                        "openapi_schema": openapi_schema(model, variant),
                    },
                },
            )

        return self.around(req, fault, answer)

    # --- files -----------------------------------------------------------------------------------

    def _file_create(self, req: Request) -> Response:
        """`POST /v1/files`: multipart with the file in a part named `content` and optional JSON
        `metadata` (replicate-python `files.create`); 201 with the file object."""
        self.count("file_uploads")
        fault = self.take_fault("upload")
        early = self.early_fault(fault)
        if early is not None:
            return early
        if req.content_type != "multipart/form-data":
            return self.error(400, message="Expected a multipart/form-data body with a `content` part.")
        if len(req.body) > MAX_FILE:
            return text_response(
                413, "<html><body><h1>413 Request Entity Too Large</h1></body></html>", "text/html"
            )
        try:
            parts = {p.name: p for p in parse_multipart(req.header("Content-Type") or "", req.body)}
        except BadRequestBody as exc:
            return self.error(400, message=str(exc))
        content = parts.get("content")
        if content is None or content.filename is None:
            return self.error(400, message="The `content` part with a file is required.")
        metadata: Any = {}
        if "metadata" in parts:
            try:
                metadata = json.loads(parts["metadata"].data.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return self.error(400, message="metadata must be a JSON object")
        file_id = base64.urlsafe_b64encode(secrets.token_bytes(27)).decode("ascii").rstrip("=")
        ctype = content.content_type or "application/octet-stream"
        path = f"/replicate/files/{file_id}"
        self.ctx.storage.put(path, content.data, ctype, self.name, FILE_TTL)
        now = time.time()
        record = {
            "id": file_id,
            "name": content.filename,
            "content_type": ctype,
            "size": len(content.data),
            "etag": hashlib.md5(content.data).hexdigest(),  # noqa: S324 - an ETag, not security
            "checksums": {
                "sha256": hashlib.sha256(content.data).hexdigest(),
                "md5": hashlib.md5(content.data).hexdigest(),
            },  # noqa: S324
            "metadata": metadata,
            "created_at": iso(now),
            "expires_at": iso(now + FILE_TTL),
            "path": path,
        }
        self.ctx.storage.keep("replicate-file:" + file_id, record)
        resp = json_response(201, self._file_json(record))
        resp.delay = delay_of(fault, self.config["slow_seconds"])
        return resp

    def _file_json(self, record: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in record.items() if k != "path"}
        out["urls"] = {"get": f"{self.ctx.api_url}/replicate/v1/files/{record['id']}"}
        return out

    def own_file(self, url: str) -> bytes | None:
        parts = urlsplit(url)
        api = urlsplit(self.ctx.api_url)
        m = _FILE.match(parts.path[len("/replicate") :]) if parts.path.startswith("/replicate/") else None
        if m is None or (parts.scheme, parts.netloc) != (api.scheme, api.netloc):
            return None
        record = self.ctx.storage.record("replicate-file:" + m.group(1))
        blob = self.ctx.storage.get(record["path"])[0] if record else None
        if blob is None:
            raise InputProblem(
                f"could not download {url} (the file does not exist or has expired)",
                "input_images",
                "file_download_error",
            )
        return blob.data

    # --- poll / cancel -----------------------------------------------------------------------------

    def prediction(self, job: Job, fault: Fault | None = None) -> dict[str, Any]:
        phase = job.phase()
        status = self.words[phase]
        if fault is not None and fault.kind == "unknown_status":
            status = fault.param("status", "warming")
        now = time.monotonic()
        base = f"{self.ctx.api_url}/replicate/v1/predictions/{job.id}"
        removed = (
            phase in ("succeeded", "failed", "moderated", "cancelled", "aborted")
            and job.finished is not None
            and now - job.finished >= self.config["replicate_data_removed_after"]
        )
        output: Any = None
        if phase == "succeeded" and not removed:
            urls = [o["url"] for o in job.outputs]
            output = urls if self.config["output_shape"]["replicate"] == "list" else urls[0]
        error = None
        if phase == "failed":
            error = "Prediction failed: the model returned an error. Try again."
        elif phase == "moderated":
            # Replicate's wording for OpenAI's safety refusal (error code E005)
            error = (
                "The input or output was flagged as sensitive. Please try again with different inputs. (E005)"
            )
        started = job.started if phase not in ("queued", "starting", "aborted") else None
        progress = int(job.progress() * 100)
        logs = (
            ""
            if phase in ("queued", "starting", "aborted")
            else f"Generating image...\nprogress: {progress}%\n"
        )
        body: dict[str, Any] = {
            "id": job.id,
            "model": job.model,
            "version": "hidden",
            "input": {} if removed else job.extra.get("input", {}),
            "logs": "" if removed else logs,
            "output": output,
            "error": error,
            "status": status,
            "created_at": iso(job.created_wall),
            "started_at": iso(job.wall(started)),
            "completed_at": iso(job.wall(job.finished)) if job.final else None,
            "data_removed": removed,
            "source": "api",
            "urls": {
                "get": base,
                "cancel": base + "/cancel",
                "web": f"{self.ctx.api_url}/replicate/p/{job.id}",
            },
        }
        if job.deadline is not None:
            body["deadline"] = iso(job.wall(job.deadline))
        if phase == "succeeded":
            body["metrics"] = {
                "predict_time": round((job.finished or job.end) - job.started, 6),
                "total_time": round((job.finished or job.end) - job.created, 6),
                "image_count": len(job.outputs),
            }
        return body

    def _poll(self, req: Request, job_id: str) -> Response:
        self.count("polls")
        fault = self.take_fault("poll")
        job = self.ctx.jobs.get(job_id, self.name)
        if job is None:
            return self.around(req, fault, lambda: self.error(404))
        return self.around(req, fault, lambda: json_response(200, self.prediction(job, fault)))

    def _list(self, req: Request) -> Response:
        """`GET /v1/predictions`: the account's predictions, newest first, a page at a time with `next` and
        `previous` cursor URLs; `created_after` (inclusive) and `created_before` (exclusive) narrow it
        (replicate.com/docs/reference/http#predictions.list, replicate-python-beta)."""
        self.count("lists")
        fault = self.take_fault("list")

        def answer() -> Response:
            try:
                after = parse_iso(req.arg("created_after"))
                before = parse_iso(req.arg("created_before"))
            except ValueError as exc:
                return self.error(400, message=f"created_after/created_before must be ISO 8601: {exc}")
            cursor = req.arg("cursor")
            try:
                text = base64.urlsafe_b64decode(cursor.encode()).decode() if cursor else "o=0"
                offset = int(text.partition("o=")[2])
            except (ValueError, UnicodeDecodeError):
                return self.error(400, message="Invalid cursor.")
            jobs = sorted(self.ctx.jobs.all(self.name), key=lambda j: j.created_wall, reverse=True)
            jobs = [
                j
                for j in jobs
                if (after is None or j.created_wall >= after) and (before is None or j.created_wall < before)
            ]
            size = self.config["list_page_size"]
            page = jobs[offset : offset + size]

            def link(at: int) -> str:
                params = {
                    k: v
                    for k, v in (
                        ("created_after", req.arg("created_after")),
                        ("created_before", req.arg("created_before")),
                    )
                    if v
                }
                params["cursor"] = base64.urlsafe_b64encode(f"o={at}".encode()).decode()
                return f"{self.ctx.api_url}/replicate/v1/predictions?{urlencode(params)}"

            body = {
                "next": link(offset + size) if offset + size < len(jobs) else None,
                "previous": link(max(0, offset - size)) if offset > 0 else None,
                "results": [self.prediction(j) for j in page],
            }
            return json_response(200, body, {"ratelimit-remaining": "599", "ratelimit-reset": "1"})

        return self.around(req, fault, answer)

    def _cancel(self, req: Request, job_id: str) -> Response:
        self.count("cancels")
        fault = self.take_fault("cancel")
        job = self.ctx.jobs.get(job_id, self.name)
        if job is None:
            return self.around(req, fault, lambda: self.error(404))
        job.request_cancel()
        return self.around(req, fault, lambda: json_response(200, self.prediction(job)))


def aspect_ratios(model: str, variant: str) -> tuple[str, ...]:
    base = ("1:1", "3:2", "2:3")
    if model == "openai/gpt-image-2" and variant == "2026-11":
        return (*base, "16:9", "9:16", "auto", *[k for k in NEWER_SIZES if "x" in k])
    return base


def most_images(model: str, variant: str) -> int:
    return 1 if model == "openai/gpt-image-2" and variant == "2026-08" else 10


def openapi_schema(model: str, variant: str) -> dict[str, Any]:
    """The version's OpenAPI document, reduced to what clients read: the `Input` schema and its enums."""
    gpt2 = model == "openai/gpt-image-2"

    def enum(name: str, values: tuple[str, ...]) -> dict[str, Any]:
        return {"type": "string", "title": name, "enum": list(values), "description": "An enumeration."}

    def ref(name: str, default: Any, order: int) -> dict[str, Any]:
        return {"allOf": [{"$ref": f"#/components/schemas/{name}"}], "default": default, "x-order": order}

    props: dict[str, Any] = {
        "prompt": {"type": "string", "title": "Prompt", "x-order": 0},
        "input_images": {
            "type": "array",
            "items": {"type": "string", "format": "uri"},
            "default": [],
            "title": "Input Images",
            "x-order": 1,
        },
        "aspect_ratio": ref("aspect_ratio", "1:1", 2),
        "number_of_images": {
            "type": "integer",
            "minimum": 1,
            "maximum": most_images(model, variant),
            "default": 1,
            "title": "Number Of Images",
            "x-order": 3,
        },
        "quality": ref("quality", "auto", 4),
        "background": ref("background", "auto", 5),
        "output_format": ref("output_format", "webp", 6),
        "output_compression": {"type": "integer", "minimum": 0, "maximum": 100, "default": 90, "x-order": 7},
        "moderation": ref("moderation", "auto", 8),
        "openai_api_key": {"type": "string", "format": "password", "writeOnly": True, "x-order": 9},
    }
    if not gpt2:
        props["input_fidelity"] = ref("input_fidelity", "low", 10)
    components = {
        "Input": {"type": "object", "title": "Input", "required": ["prompt"], "properties": props},
        "aspect_ratio": enum("aspect_ratio", aspect_ratios(model, variant)),
        "quality": enum("quality", ("low", "medium", "high", "auto")),
        "background": enum("background", ("auto", "opaque") if gpt2 else ("auto", "opaque", "transparent")),
        "output_format": enum("output_format", ("webp", "png", "jpeg")),
        "moderation": enum("moderation", ("auto", "low")),
        "input_fidelity": enum("input_fidelity", ("low", "high")),
        "Output": {"type": "array", "items": {"type": "string", "format": "uri"}, "title": "Output"},
    }
    return {
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "paths": {},
        "components": {"schemas": components},
    }
