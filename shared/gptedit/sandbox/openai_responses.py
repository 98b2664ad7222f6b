"""OpenAI's Responses API with the image-generation tool (`/v1/responses`), background mode included.

What is imitated (OpenAPI spec `CreateResponse`, `Response`, `ImageGenTool`, `ImageGenToolCall`,
https://github.com/openai/openai-openapi/blob/master/openapi.yaml; background guide
https://developers.openai.com/api/docs/guides/background):

- `POST /responses` with `background: true` answers at once with status `queued`; without it the request
  is held until the job ends and answers with the finished response;
- `GET /responses/{id}` walks queued → in_progress → completed | failed | cancelled; the finished response
  carries an `image_generation_call` output item with the image in base64, and `usage` for the text model;
- `POST /responses/{id}/cancel` works only for background responses and answers with the response
  (cancelling again returns the final one); `DELETE /responses/{id}` removes a stored response.

Checked like the real endpoint: a text model in `model` (an image model there is refused), exactly one
`image_generation` tool, the tool's size/quality/background/format for its image model, input images as
data URLs or the sandbox's own storage URLs, a mask that is a PNG with alpha the size of the first image.
Whether `input_image_mask.image_url` takes a data URL or bare base64 is not documented, so both are
accepted and the spelling used is recorded for tests."""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from typing import Any

from .common import InputProblem
from .edits import EditSpec, ImageInfo, choose_edit, render
from .faults import Fault
from .models import OPENAI_MODELS, shut_down
from .openai_api import OpenAIApi
from .openai_validation import ModelGone
from .sizes import GPT_IMAGE_2_MODELS, SizeProblem, check_for_model
from .state import Job
from .usage import image_input_tokens, text_tokens
from .wire import BadRequestBody, Request, Response, json_response, parse_data_url

#: spellings of models that make images, not text: the Responses API wants a text model in `model`
_IMAGE_MODEL_PREFIXES = ("gpt-image", "dall-e", "chatgpt-image")
_DETAILS = ("low", "high", "auto", "original")


def _err(
    message: str, param: str | None = None, code: str | None = None, type_: str = "invalid_request_error"
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


class OpenAIResponsesApi(OpenAIApi):
    name = "openai-responses"
    words = {
        "queued": "queued",
        "starting": "in_progress",
        "processing": "in_progress",
        "succeeded": "completed",
        "failed": "failed",
        "moderated": "failed",
        "cancelled": "cancelled",
        "aborted": "cancelled",
    }

    def handle(self, req: Request, path: str) -> Response:
        refused = self.refuse_key(req)
        if refused is not None:
            return refused
        parts = [p for p in path.split("/") if p]
        if not parts and req.method == "POST":
            return self._create(req)
        if len(parts) == 1 and req.method == "GET":
            return self._retrieve(req, parts[0])
        if len(parts) == 1 and req.method == "DELETE":
            return self._delete(parts[0])
        if len(parts) == 2 and parts[1] == "cancel" and req.method == "POST":
            return self._cancel(req, parts[0])
        return self.error(
            404, message=f"Invalid URL ({req.method} /v1/responses{path.rstrip('/')})", code="unknown_url"
        )

    # --- create ------------------------------------------------------------------------------------

    def _create(self, req: Request) -> Response:
        started = time.monotonic()
        self.count("creates")
        try:
            parsed = self._read(req)
        except ModelGone as exc:
            return self.error(404, message=exc.message, param=exc.field, code=exc.code)
        except InputProblem as exc:
            early = self.early_fault(self.take_fault("create"))
            return early or self.error(
                400, message=exc.message, param=exc.field, code=exc.code or "invalid_value"
            )
        fault = self.take_fault("create")
        if fault is not None and fault.kind == "moderation":
            return self.moderation_error("input")
        tool, images, infos, mask, mask_info = (
            parsed["tool"],
            parsed["images"],
            parsed["infos"],
            parsed["mask"],
            parsed["mask_info"],
        )
        prompt = parsed["prompt"]
        spec = EditSpec(
            prompt,
            choose_edit(prompt, self.config["edit"]),
            parsed["size"],
            tool["output_format"],
            tool["background"],
            1,
            tool.get("output_compression"),
        )
        record = self.record(
            prompt,
            parsed["params"],
            infos,
            mask_info,
            "bearer",
            encoding="json",
            image_field="input_image",
            model=tool["model"],
            mainline=parsed["model"],
            background=parsed["background"],
            store=parsed["store"],
            metadata=parsed["metadata"],
            mask_encoding=parsed["mask_encoding"],
            tool_choice=parsed["tool_choice"],
            instructions=parsed["instructions"],
        )

        def make() -> Job:
            job = self.new_job(
                "resp_" + secrets.token_hex(24),
                tool["model"],
                spec,
                images,
                mask,
                record,
                fault,
                self._finish,
            )
            job.extra.update(
                quality=tool["quality"],
                infos=infos,
                tool=parsed["tool_echo"],
                mainline=parsed["model"],
                background=parsed["background"],
                store=parsed["store"],
                metadata=parsed["metadata"],
                created_at=int(time.time()),
                instructions=parsed["instructions"],
                call_id="ig_" + secrets.token_hex(24),
                prompt_tokens=text_tokens(prompt + (parsed["instructions"] or "")),
            )
            return job

        def answer(job: Job) -> Response:
            if parsed["background"]:
                return json_response(200, self._object(job), self._headers(started))
            if not job.wait_end(self.ctx.stopping):
                return Response(abort=True)
            return json_response(200, self._object(job), self._headers(started))

        return self.around_create(req, fault, make, answer)

    def _read(self, req: Request) -> dict[str, Any]:
        if req.content_type != "application/json":
            raise InputProblem(
                "Unsupported content type: the Responses API takes application/json.",
                None,
                "unsupported_content_type",
            )
        try:
            body = req.json()
        except BadRequestBody as exc:
            raise InputProblem(
                f"We could not parse the JSON body of your request. ({exc})", None, "invalid_json"
            ) from exc
        if not isinstance(body, dict):
            raise InputProblem("The JSON body must be an object.", None, "invalid_json")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise InputProblem("Missing required parameter: 'model'.", "model", "missing_required_parameter")
        if model.startswith(_IMAGE_MODEL_PREFIXES):
            raise InputProblem(
                f"The model '{model}' is not supported with the Responses API; use a text model "
                "and give the image model to the image_generation tool.",
                "model",
                "model_not_found",
            )
        background = body.get("background")
        if background is not None and not isinstance(background, bool):
            raise InputProblem(
                "Invalid type for 'background': expected a boolean.", "background", "invalid_type"
            )
        store = body.get("store", True)
        if store is not None and not isinstance(store, bool):
            raise InputProblem("Invalid type for 'store': expected a boolean.", "store", "invalid_type")
        metadata = body.get("metadata") or {}
        if (
            not isinstance(metadata, dict)
            or len(metadata) > 16
            or any(
                not isinstance(k, str) or len(k) > 64 or not isinstance(v, str) or len(v) > 512
                for k, v in metadata.items()
            )
        ):
            raise InputProblem(
                "Invalid 'metadata': up to 16 string pairs, keys ≤ 64 and values ≤ 512 characters.",
                "metadata",
                "invalid_value",
            )
        max_calls = body.get("max_tool_calls")
        if max_calls is not None and (
            isinstance(max_calls, bool) or not isinstance(max_calls, int) or max_calls < 1
        ):
            raise InputProblem(
                "Invalid 'max_tool_calls': expected an integer >= 1.", "max_tool_calls", "invalid_value"
            )
        instructions = body.get("instructions")
        if instructions is not None and not isinstance(instructions, str):
            raise InputProblem(
                "Invalid type for 'instructions': expected a string.", "instructions", "invalid_type"
            )
        prompt, images = self._input(body.get("input"))
        if not prompt:
            raise InputProblem(
                "The input has no text: say what to draw or change.", "input", "missing_required_parameter"
            )
        tool = self._tool(body.get("tools"))
        if not images:
            raise InputProblem("There is no input image to edit.", "input", "missing_required_parameter")
        infos = [self.check_image(data, f"input[{i}]") for i, data in enumerate(images)]
        mask, mask_info, mask_encoding = self._mask(tool, infos[0])
        try:
            size = check_for_model(tool["model"], tool["size"])
        except SizeProblem as exc:
            raise InputProblem(str(exc), "tools[0].size", "invalid_value") from exc
        if tool["background"] == "transparent" and tool["output_format"] == "jpeg":
            raise InputProblem(
                "Transparent background requires output_format png or webp.",
                "tools[0].background",
                "invalid_value",
            )
        if (
            tool["background"] == "transparent"
            and tool["model"] in GPT_IMAGE_2_MODELS
            and self.config["gpt_image_2_transparent"] == "error"
        ):
            raise InputProblem(
                f"Transparent background is not supported for {tool['model']}.",
                "tools[0].background",
                "invalid_value",
            )
        echo = {k: v for k, v in body["tools"][0].items()}
        params = {k: v for k, v in tool.items() if k != "input_image_mask"}
        params.update(tool_choice=body.get("tool_choice"), max_tool_calls=max_calls)
        return {
            "model": model,
            "background": bool(background),
            "store": store is not False,
            "metadata": metadata,
            "instructions": instructions,
            "prompt": prompt,
            "images": images,
            "infos": infos,
            "mask": mask,
            "mask_info": mask_info,
            "mask_encoding": mask_encoding,
            "tool": tool,
            "tool_echo": echo,
            "size": size,
            "params": params,
            "tool_choice": body.get("tool_choice"),
        }

    def _input(self, value: Any) -> tuple[str, list[bytes]]:
        """The prompt and the pictures of the input: a string, or messages with `input_text` and
        `input_image` parts (a bare content list is accepted too, as `EasyInputMessage` allows)."""
        if isinstance(value, str):
            return value.strip(), []
        if not isinstance(value, list) or not value:
            raise InputProblem("Missing required parameter: 'input'.", "input", "missing_required_parameter")
        texts: list[str] = []
        images: list[bytes] = []
        for i, message in enumerate(value):
            if not isinstance(message, dict):
                raise InputProblem(
                    f"Invalid 'input[{i}]': expected an object.", f"input[{i}]", "invalid_type"
                )
            content = message.get("content")
            parts = [{"type": "input_text", "text": content}] if isinstance(content, str) else content
            if not isinstance(parts, list):
                raise InputProblem(f"Invalid 'input[{i}].content'.", f"input[{i}].content", "invalid_type")
            for j, part in enumerate(parts):
                where = f"input[{i}].content[{j}]"
                kind = part.get("type") if isinstance(part, dict) else None
                if kind == "input_text" and isinstance(part.get("text"), str):
                    texts.append(part["text"])
                elif kind == "input_image":
                    detail = part.get("detail", "auto")
                    if detail not in _DETAILS:
                        raise InputProblem(
                            f"Invalid value: '{detail}'. Supported values are: 'low', 'high', "
                            "'auto' and 'original'.",
                            f"{where}.detail",
                            "invalid_value",
                        )
                    if part.get("file_id"):
                        raise InputProblem(
                            f"'{where}.file_id': no such file (the sandbox has no Files API; "
                            "send image_url).",
                            f"{where}.file_id",
                            "invalid_value",
                        )
                    images.append(self.load_image(part.get("image_url"), f"{where}.image_url"))
                else:
                    raise InputProblem(
                        f"Invalid content part at '{where}': expected input_text or input_image.",
                        where,
                        "invalid_value",
                    )
        return " ".join(t.strip() for t in texts if t.strip()), images

    def _tool(self, tools: Any) -> dict[str, Any]:
        if not isinstance(tools, list):
            raise InputProblem(
                "This sandbox imitates the image_generation tool only: give it in 'tools'.",
                "tools",
                "missing_required_parameter",
            )
        image_tools = [t for t in tools if isinstance(t, dict) and t.get("type") == "image_generation"]
        if len(image_tools) != 1 or len(tools) != 1:
            raise InputProblem(
                "Expected exactly one tool of type 'image_generation'.", "tools", "invalid_value"
            )
        raw = image_tools[0]
        # the tool's default model per openai-python 3.x's tool_param.py
        tool = {"model": raw.get("model", "gpt-image-2.6-sunburst")}
        if tool["model"] in OPENAI_MODELS and shut_down(tool["model"], self.config):
            raise ModelGone(
                f"The model `{tool['model']}` does not exist or you do not have access to it.",
                "tools[0].model",
                "model_not_found",
            )
        models = [m for m in OPENAI_MODELS if m != "dall-e-2" and not shut_down(m, self.config)]
        if tool["model"] not in models:
            raise InputProblem(
                f"Invalid value: '{tool['model']}'. Supported values are: "
                + ", ".join(f"'{m}'" for m in models)
                + ".",
                "tools[0].model",
                "invalid_value",
            )
        rules = OPENAI_MODELS[tool["model"]]
        if "complexity" in raw:
            if not rules.complexity:
                raise InputProblem(
                    f"Unknown parameter: 'tools[0].complexity'. {tool['model']} does not support it.",
                    "tools[0].complexity",
                    "unknown_parameter",
                )
            tool["complexity"] = raw["complexity"]
            if raw["complexity"] not in ("low", "medium", "high"):
                raise InputProblem(
                    f"Invalid value: '{raw['complexity']}'. Supported values are: 'low', 'medium', 'high'.",
                    "tools[0].complexity",
                    "invalid_value",
                )
        for name, default, allowed in (
            ("quality", "auto", rules.qualities),
            ("background", "auto", ("transparent", "opaque", "auto")),
            ("output_format", "png", ("png", "webp", "jpeg")),
            ("moderation", "auto", ("auto", "low")),
            ("action", "auto", ("generate", "edit", "auto")),
        ):
            value = raw.get(name, default)
            if value not in allowed:
                listed = ", ".join(f"'{a}'" for a in allowed)
                raise InputProblem(
                    f"Invalid value: '{value}'. Supported values are: {listed}.",
                    f"tools[0].{name}",
                    "invalid_value",
                )
            tool[name] = value
        size = raw.get("size", "auto")
        if not isinstance(size, str):
            raise InputProblem(
                "Invalid type for 'tools[0].size': expected a string.", "tools[0].size", "invalid_type"
            )
        tool["size"] = size
        for name, low, high in (("output_compression", 0, 100), ("partial_images", 0, 3)):
            if name in raw:
                value = raw[name]
                if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                    raise InputProblem(
                        f"Invalid 'tools[0].{name}': expected an integer from {low} to {high}.",
                        f"tools[0].{name}",
                        "invalid_value",
                    )
                tool[name] = value
        if raw.get("input_fidelity") not in (None, "low", "high"):
            raise InputProblem(
                "Invalid value for 'tools[0].input_fidelity'.", "tools[0].input_fidelity", "invalid_value"
            )
        if "input_image_mask" in raw:
            tool["input_image_mask"] = raw["input_image_mask"]
        return tool

    def _mask(
        self, tool: dict[str, Any], first: ImageInfo
    ) -> tuple[bytes | None, ImageInfo | None, str | None]:
        ref = tool.get("input_image_mask")
        if ref is None:
            return None, None, None
        where = "tools[0].input_image_mask"
        if not isinstance(ref, dict) or not set(ref) <= {"image_url", "file_id"} or len(ref) != 1:
            raise InputProblem(f"'{where}' takes one of 'image_url' or 'file_id'.", where, "invalid_value")
        if "file_id" in ref:
            raise InputProblem(
                f"'{where}.file_id': no such file (the sandbox has no Files API).",
                f"{where}.file_id",
                "invalid_value",
            )
        text = ref["image_url"]
        if not isinstance(text, str) or not text:
            raise InputProblem(f"'{where}.image_url' must be a string.", f"{where}.image_url", "invalid_type")
        try:
            if text.startswith("data:"):
                data, encoding = parse_data_url(text)[1], "data_url"
            else:
                data, encoding = base64.b64decode(text, validate=True), "base64"
        except (BadRequestBody, binascii.Error, ValueError) as exc:
            raise InputProblem(
                f"'{where}.image_url' is not a base64 image: {exc}",
                f"{where}.image_url",
                "invalid_base64_image",
            ) from exc
        info = self.check_image(data, where, ("png",))
        if not info.has_alpha:
            raise InputProblem(
                "Invalid mask image format - mask must be a PNG with an alpha channel.",
                where,
                "invalid_value",
            )
        if (info.width, info.height) != (first.width, first.height):
            raise InputProblem(
                "Invalid mask image format - mask size does not match image size.", where, "invalid_value"
            )
        return data, info, encoding

    # --- the job -----------------------------------------------------------------------------------

    def _finish(self, job: Job) -> None:
        for out in render(job.spec, job.images, job.mask):
            job.outputs.append(
                {"width": out.width, "height": out.height, "content_type": out.mime, "data": out.data}
            )

    def _word(self, job: Job, phase: str) -> str:
        if phase == "moderated" and self.config["responses_moderation"] == "call":
            return "completed"  # the response ended; its image call failed
        return self.words[phase]

    def _object(self, job: Job, fault: Fault | None = None) -> dict[str, Any]:
        """The `Response` object as it stands now."""
        phase = job.phase()
        word = self._word(job, phase)
        if fault is not None and fault.kind == "unknown_status":
            word = fault.param("status", "warming_up")
        x = job.extra
        obj: dict[str, Any] = {
            "id": job.id,
            "object": "response",
            "created_at": x["created_at"],
            "status": word,
            "background": x["background"],
            "error": None,
            "incomplete_details": None,
            "instructions": x["instructions"],
            "max_output_tokens": None,
            "max_tool_calls": 1,
            "model": x["mainline"],
            "output": [],
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None},
            "store": x["store"],
            "temperature": 1.0,
            "text": {"format": {"type": "text"}},
            "tool_choice": job.record.get("tool_choice") or "auto",
            "tools": [x["tool"]],
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": None,
            "user": None,
            "metadata": x["metadata"],
            "completed_at": None,
        }
        call: dict[str, Any] = {
            "type": "image_generation_call",
            "id": x["call_id"],
            "status": "in_progress",
            "result": None,
        }
        if phase == "processing":
            call["status"] = "generating"
            obj["output"] = [call]
        elif phase == "succeeded":
            out = job.outputs[0]
            b64 = base64.b64encode(out["data"]).decode("ascii")
            if fault is not None and fault.kind == "truncated_image":
                b64 = b64[: len(b64) // 2]
            call.update(
                status="completed",
                result=b64,
                action="edit",
                revised_prompt=job.spec.prompt,
                size=f"{out['width']}x{out['height']}",
                output_format=job.spec.output_format,
                background=self._background(job),
                quality=self._quality(job),
            )
            obj["output"] = [call, _message("Here is the edited image.")]
            obj["completed_at"] = int(job.wall(job.finished) or time.time())
            obj["usage"] = self._usage(job)
        elif phase == "moderated" and word == "completed":
            call.update(
                status="failed",
                error={
                    "type": "image_generation_user_error",
                    "code": "moderation_blocked",
                    "param": None,
                    "message": "Your request was rejected by the safety system.",
                    "moderation_details": {"moderation_stage": "output", "categories": ["other"]},
                },
            )
            obj["output"] = [call]
            obj["usage"] = self._usage(job)
        elif phase == "moderated":
            obj["error"] = {
                "code": "image_content_policy_violation",
                "message": "The image was rejected by the safety system.",
            }
        elif phase == "failed":
            obj["error"] = {
                "code": "server_error",
                "message": job.error or "The model failed to make an image.",
            }
        return obj

    def _background(self, job: Job) -> str:
        alpha = job.spec.background == "transparent" or (
            job.spec.background == "auto" and job.extra["infos"][0].has_alpha
        )
        return "transparent" if alpha and job.spec.output_format != "jpeg" else "opaque"

    @staticmethod
    def _quality(job: Job) -> str:
        return job.extra["quality"] if job.extra["quality"] != "auto" else "medium"

    @staticmethod
    def _usage(job: Job) -> dict[str, Any]:
        """The text model's tokens only: the image tool is billed at the image model's rates and its tokens
        are not in `usage`."""
        tokens_in = job.extra["prompt_tokens"] + sum(
            image_input_tokens(i.width, i.height) for i in job.extra["infos"]
        )
        tokens_out = 40 + text_tokens(job.spec.prompt)
        return {
            "input_tokens": tokens_in,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": tokens_out,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": tokens_in + tokens_out,
        }

    # --- retrieve, cancel, delete ------------------------------------------------------------------

    def _missing(self, response_id: str) -> Response:
        return json_response(
            404, _err(f"Response with id '{response_id}' not found.", "response_id"), self._headers()
        )

    def _retrieve(self, req: Request, response_id: str) -> Response:
        self.count("polls")
        fault = self.take_fault("poll")
        job = self.ctx.jobs.get(response_id, self.name)
        if job is None:
            return self.around(req, fault, lambda: self._missing(response_id))
        if req.arg("stream") in ("true", "1"):
            return self.error(
                400,
                message="The sandbox does not imitate streamed background responses.",
                param="stream",
                code="unsupported_value",
            )
        return self.around(req, fault, lambda: json_response(200, self._object(job, fault), self._headers()))

    def _cancel(self, req: Request, response_id: str) -> Response:
        self.count("cancels")
        fault = self.take_fault("cancel")
        job = self.ctx.jobs.get(response_id, self.name)
        if job is None:
            return self.around(req, fault, lambda: self._missing(response_id))

        def answer() -> Response:
            if not job.extra["background"]:
                return self.error(
                    400,
                    message="Only responses created with background=true can be cancelled.",
                    param="response_id",
                    code="invalid_request",
                )
            job.request_cancel()
            return json_response(200, self._object(job), self._headers())

        return self.around(req, fault, answer)

    def _delete(self, response_id: str) -> Response:
        job = self.ctx.jobs.get(response_id, self.name)
        if job is None:
            return self._missing(response_id)
        self.ctx.jobs.remove(response_id)
        return json_response(
            200, {"id": response_id, "object": "response.deleted", "deleted": True}, self._headers()
        )


def _message(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "msg_" + secrets.token_hex(24),
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }
