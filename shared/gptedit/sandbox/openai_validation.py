"""Reading and checking an OpenAI images/edits request the way the real endpoint does (docs/providers.md
"OpenAI: request fields"): both encodings, the `image`/`image[]` spellings, and the documented limits,
each refused with the `param` a client can show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .common import InputProblem, ProviderApi
from .edits import ImageInfo
from .models import OPENAI_MODELS, shut_down
from .sizes import SizeProblem, check_for_model
from .wire import BadRequestBody, Request, parse_data_url, parse_multipart

MODELS = tuple(OPENAI_MODELS)
DEFAULT_MODEL = "gpt-image-2"
MAX_IMAGE_BYTES = 50 * 1024 * 1024
MAX_MASK_BYTES = 4 * 1024 * 1024


@dataclass
class EditData:
    prompt: str
    model: str
    images: list[bytes]
    infos: list[ImageInfo]
    mask: bytes | None
    mask_info: ImageInfo | None
    markup: bytes | None
    markup_info: ImageInfo | None
    complexity: str | None
    size: tuple[int, int] | None
    n: int
    quality: str
    background: str
    output_format: str
    compression: int | None
    stream: bool
    partial_images: int
    response_format: str
    encoding: str  # multipart | json
    image_field: str  # image | image[] | images
    params: dict[str, Any] = field(default_factory=dict)


def _int(params: dict[str, Any], name: str, default: int | None, low: int, high: int) -> int | None:
    value = params.get(name, default)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise InputProblem(
                f"Invalid type for '{name}': expected an integer, but got a string instead.",
                name,
                "invalid_type",
            ) from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputProblem(f"Invalid type for '{name}': expected an integer.", name, "invalid_type")
    if value < low:
        raise InputProblem(
            f"Invalid '{name}': integer below minimum value. Expected a value >= {low}, but got "
            f"{value} instead.",
            name,
            "integer_below_min_value",
        )
    if value > high:
        raise InputProblem(
            f"Invalid '{name}': integer above maximum value. Expected a value <= {high}, but got "
            f"{value} instead.",
            name,
            "integer_above_max_value",
        )
    return value


def _choice(params: dict[str, Any], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = params.get(name, default)
    if value not in allowed:
        listed = ", ".join(f"'{a}'" for a in allowed)
        raise InputProblem(
            f"Invalid value: '{value}'. Supported values are: {listed}.", name, "invalid_value"
        )
    return value


def _bool(params: dict[str, Any], name: str) -> bool:
    value = params.get(name, False)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


class ModelGone(InputProblem):
    """A shut-down model: OpenAI answers 404 `model_not_found` rather than a 400 about the value."""


def _read_body(req: Request) -> tuple[dict[str, Any], list[bytes], bytes | None, str, str]:
    if req.content_type == "multipart/form-data":
        try:
            parts = parse_multipart(req.header("Content-Type") or "", req.body)
        except BadRequestBody as exc:
            raise InputProblem(f"Could not parse multipart form: {exc}", None, "invalid_multipart") from exc
        params: dict[str, Any] = {}
        images, mask, names = [], None, set()
        for part in parts:
            if part.name in ("image", "image[]"):
                images.append(part.data)
                names.add(part.name)
            elif part.name == "mask":
                mask = part.data
            elif part.name == "markup":
                params["markup"] = part.data  # a file part, like mask
            else:
                params[part.name] = part.data.decode("utf-8", "replace")
        field = "image[]" if "image[]" in names else "image"
        return params, images, mask, "multipart", field
    if req.content_type == "application/json":
        try:
            body = req.json()
        except BadRequestBody as exc:
            raise InputProblem(
                f"We could not parse the JSON body of your request. ({exc})", None, "invalid_json"
            ) from exc
        if not isinstance(body, dict):
            raise InputProblem("The JSON body must be an object.", None, "invalid_json")
        refs = body.pop("images", None)
        mask_ref = body.pop("mask", None)
        if body.get("markup") is not None:
            body["markup"] = _json_image(body["markup"], "markup")
        if not isinstance(refs, list):
            raise InputProblem(
                "Missing required parameter: 'images'.", "images", "missing_required_parameter"
            )
        images = [_json_image(ref, f"images[{i}]") for i, ref in enumerate(refs)]
        mask = _json_image(mask_ref, "mask") if mask_ref is not None else None
        return body, images, mask, "json", "images"
    raise InputProblem(
        "Unsupported content type: use multipart/form-data or application/json.",
        None,
        "unsupported_content_type",
    )


def _json_image(ref: Any, name: str) -> bytes:
    if not isinstance(ref, dict) or len({"image_url", "file_id"} & set(ref)) != 1:
        raise InputProblem(
            f"'{name}' must have exactly one of 'image_url' or 'file_id'.", name, "invalid_value"
        )
    if "file_id" in ref:
        raise InputProblem(
            f"'{name}.file_id': no such file (the sandbox has no Files API; send image_url).",
            f"{name}.file_id",
            "invalid_value",
        )
    url = ref["image_url"]
    if not isinstance(url, str) or not url.startswith("data:"):
        # the real API fetches https URLs; the sandbox never leaves the machine, so it takes data: only
        raise InputProblem(
            f"'{name}.image_url' must be a data: URL in the sandbox.", f"{name}.image_url", "invalid_value"
        )
    try:
        return parse_data_url(url)[1]
    except BadRequestBody as exc:
        raise InputProblem(f"'{name}.image_url': {exc}", f"{name}.image_url", "invalid_value") from exc


def read_edit_request(req: Request, config: dict[str, Any]) -> EditData:
    params, images, mask, encoding, image_field = _read_body(req)
    model = params.get("model", DEFAULT_MODEL)
    if model in MODELS and shut_down(model, config):
        raise ModelGone(
            f"The model `{model}` does not exist or you do not have access to it.", "model", "model_not_found"
        )
    current = [m for m in MODELS if not shut_down(m, config)]
    if model not in MODELS:
        raise InputProblem(
            f"Invalid value: '{model}'. Supported values are: " + ", ".join(f"'{m}'" for m in current) + ".",
            "model",
            "invalid_value",
        )
    rules = OPENAI_MODELS[model]
    gpt = model != "dall-e-2"
    prompt = params.get("prompt")
    if not isinstance(prompt, str) or prompt == "":
        raise InputProblem("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter")
    limit = 32000 if gpt else 1000
    if len(prompt) > limit:
        raise InputProblem(
            f"Invalid 'prompt': string too long. Expected a string with maximum length {limit}, "
            f"but got a string with length {len(prompt)} instead.",
            "prompt",
            "string_above_max_length",
        )
    if not images:
        raise InputProblem("Missing required parameter: 'image'.", "image", "missing_required_parameter")
    most = 16 if gpt else 1
    if len(images) > most:
        raise InputProblem(
            f"Too many images: {model} accepts at most {most}, got {len(images)}.", "image", "invalid_value"
        )
    formats = ("png", "jpeg", "webp") if gpt else ("png",)
    infos = []
    for i, data in enumerate(images):
        if len(data) > (MAX_IMAGE_BYTES if gpt else MAX_MASK_BYTES):
            raise InputProblem(f"Image {i + 1} is too large.", "image", "image_too_large")
        infos.append(ProviderApi.check_image(data, "image", formats))
    if not gpt and infos[0].width != infos[0].height:
        raise InputProblem("Invalid input image - dall-e-2 needs a square image.", "image", "invalid_value")
    mask_info = None
    if mask is not None:
        if len(mask) > MAX_MASK_BYTES:
            raise InputProblem("The mask must be smaller than 4 MB.", "mask", "image_too_large")
        mask_info = ProviderApi.check_image(mask, "mask", ("png",))
        if not mask_info.has_alpha:
            raise InputProblem(
                "Invalid mask image format - mask must be a PNG with an alpha channel.",
                "mask",
                "invalid_value",
            )
        if (mask_info.width, mask_info.height) != (infos[0].width, infos[0].height):
            raise InputProblem(
                "Invalid mask image format - mask size does not match image size.", "mask", "invalid_value"
            )
    markup, markup_info = params.pop("markup", None), None
    if markup is not None:
        if not rules.markup:
            raise InputProblem(
                f"Unknown parameter: 'markup'. {model} does not support markup edits.",
                "markup",
                "unknown_parameter",
            )
        markup_info = ProviderApi.check_image(markup, "markup", ("png",))
        if not markup_info.has_alpha:
            raise InputProblem(
                "Invalid markup image - markup must be a PNG with an alpha channel.",
                "markup",
                "invalid_value",
            )
        if (markup_info.width, markup_info.height) != (infos[0].width, infos[0].height):
            raise InputProblem(
                "Invalid markup image - markup size does not match the first image's size.",
                "markup",
                "invalid_value",
            )
    complexity = None
    if "complexity" in params:
        if not rules.complexity:
            raise InputProblem(
                f"Unknown parameter: 'complexity'. {model} does not support it.",
                "complexity",
                "unknown_parameter",
            )
        complexity = _choice(params, "complexity", "high", ("low", "medium", "high"))
    try:
        size = check_for_model(model, params.get("size", "auto" if gpt else "1024x1024"))
    except SizeProblem as exc:
        raise InputProblem(str(exc), "size", "invalid_value") from exc
    n = _int(params, "n", 1, 1, 10)
    qualities = (
        rules.qualities + (("standard",) if encoding == "multipart" else ()) if gpt else ("standard", "auto")
    )
    quality = _choice(params, "quality", "auto", qualities)
    background = _choice(params, "background", "auto", ("transparent", "opaque", "auto"))
    output_format = _choice(params, "output_format", "png", ("png", "jpeg", "webp"))
    if background == "transparent" and output_format == "jpeg":
        raise InputProblem(
            "Transparent background requires output_format png or webp.", "background", "invalid_value"
        )
    if (
        background == "transparent"
        and rules.family == "gpt-image-2"
        and config["gpt_image_2_transparent"] == "error"
    ):
        raise InputProblem(
            f"Transparent background is not supported for {model}.", "background", "invalid_value"
        )
    compression = _int(params, "output_compression", None, 0, 100)
    partial_images = _int(params, "partial_images", 0, 0, 3)
    response_format = _choice(params, "response_format", "b64_json" if gpt else "url", ("url", "b64_json"))
    if gpt and response_format == "url":
        raise InputProblem(
            f"Unknown parameter: 'response_format' = 'url' is only for dall-e-2; {model} always "
            "returns b64_json.",
            "response_format",
            "unknown_parameter",
        )
    if "input_fidelity" in params:
        _choice(params, "input_fidelity", "low", ("low", "high"))
    shown = {k: v for k, v in params.items() if k != "prompt"}
    if markup is not None:
        shown["markup"] = True
    return EditData(
        prompt,
        model,
        images,
        infos,
        mask,
        mask_info,
        markup,
        markup_info,
        complexity,
        size,
        n or 1,
        quality,
        background,
        output_format,
        compression,
        _bool(params, "stream"),
        partial_images or 0,
        response_format,
        encoding,
        image_field,
        shown,
    )
