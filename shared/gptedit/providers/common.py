"""What the four provider modules share: request checks against the catalog, the transport they talk
through, data URLs and base64, the many shapes an output can take, and fetching outputs safely."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from ..catalog import PROVIDERS, ModelInfo, ProviderInfo, model_info
from ..errors import BadInput, BadResponse, ModerationBlocked, ProviderError, Unsupported
from ..imagesniff import ImageInfo, check_image
from ..models import (
    Background,
    EditRequest,
    ImageInput,
    OutputFormat,
    OutputRef,
    RemoteStatus,
    Usage,
)
from ..transport import ErrorDetail, RetryPolicy, Transport, generic_error_detail, validate_base_url
from .base import Provider, ProviderConfig, SubmitListener

_INPUT_FORMATS = ("png", "jpeg", "webp")


def image_info(image: ImageInput, what: str) -> ImageInfo:
    """The real format and size of an input image, whatever its `mime` claims."""
    if not image.data:
        raise BadInput(f"The {what} is empty; there is nothing to send.")
    try:
        info = check_image(image.data)
    except BadResponse:
        raise BadInput(f"The {what} is not a complete PNG, JPEG or WebP file.") from None
    if info.format not in _INPUT_FORMATS:
        raise Unsupported(f"The {what} is {info.format.upper()}; send PNG, JPEG or WebP.")
    return info


def _models_with(flag: str) -> str:
    """Current models with a capability, for "use a model that takes one (…)" hints."""
    from ..retirement import offered_models  # late: retirement imports the catalog this module uses

    names = [f"{p.label} {m.id}" for p in PROVIDERS.values() for m in offered_models(p.name) if getattr(m, flag)]
    return ", ".join(names) or "none at the moment"


def _mask_providers() -> str:
    return _models_with("supports_mask")


def check_options(request: EditRequest, model: ModelInfo, where: str) -> None:
    """The options that follow the model: quality tier, complexity, markup. Shared by every provider and
    by the front ends' own checks, so a script and a dialog get the same words."""
    if request.quality not in model.qualities:
        raise Unsupported(f"{where} has no quality {request.quality.value!r}; choose "
                          f"{', '.join(model.quality_choices())}.")
    if request.complexity is not None and request.complexity not in model.complexities:
        if not model.complexities:
            raise Unsupported(f"{where} has no complexity setting (GPT Image 2.6 models have one); "
                              "leave it unset.")
        raise Unsupported(f"{where} has no complexity {request.complexity.value!r}; choose "
                          f"{', '.join(model.complexity_choices())}.")
    if request.markup is not None and not model.supports_markup:
        raise Unsupported(f"{where} cannot take a markup layer, so your strokes would be ignored. Edit without "
                          f"markup, or use a model that takes it ({_models_with('supports_markup')}).")


def check_request(request: EditRequest, model: ModelInfo, provider_label: str) -> None:
    """Everything the catalog knows, checked before any byte is sent."""
    where = f"{provider_label} {model.id}"
    prompt = (request.prompt or "").strip()
    if not prompt:
        raise BadInput("The prompt is empty; write what should change in the picture.")
    if len(prompt) > model.max_prompt:
        raise BadInput(f"The prompt has {len(prompt):,} characters; {where} takes at most {model.max_prompt:,}.")
    if not request.images:
        raise BadInput("There is no image to edit.")
    if len(request.images) > model.max_inputs:
        raise Unsupported(f"{where} takes at most {model.max_inputs} images per edit and {len(request.images)} "
                          "were given; use fewer reference images.")
    for i, image in enumerate(request.images):
        image_info(image, "image to edit" if i == 0 else f"reference image {i}")
    if request.n < 1:
        raise BadInput("Ask for at least one result.")
    if request.n > model.max_n:
        raise Unsupported(f"{where} makes at most {model.max_n} result{'s' if model.max_n > 1 else ''} per edit; "
                          "ask for fewer, or run the edit again for more variations.")
    model.sizes.check(request.size, where)
    check_options(request, model, where)
    if request.output_format not in model.formats:
        choices = ", ".join(f.value for f in model.formats)
        raise Unsupported(f"{where} cannot write {request.output_format.value}; choose {choices}.")
    if request.background is Background.TRANSPARENT and request.output_format is OutputFormat.JPEG:
        raise BadInput("JPEG cannot be transparent; choose PNG or WebP, or an opaque background.")
    if request.background not in model.backgrounds:
        choices = " or ".join(b.value for b in model.backgrounds)
        raise Unsupported(f"{where} cannot make a {request.background.value} background; choose {choices}.")
    if request.mask is not None:
        if not model.supports_mask:
            raise Unsupported(
                f"{where} cannot take a mask, so it would repaint the whole picture. Edit without the "
                f"selection mask, or use a model that takes one ({_mask_providers()})."
            )
        mask = image_info(request.mask, "mask")
        # OpenAI's rule (docs/providers.md "OpenAI: request fields"): a PNG with alpha, the size of the first
        # image; fal forwards to the same model
        if mask.format != "png":
            raise BadInput("The mask must be a PNG with transparency.")
        first = image_info(request.images[0], "image to edit")
        if (mask.width, mask.height) != (first.width, first.height):
            raise BadInput(f"The mask is {mask.width}x{mask.height} but the image is {first.width}x{first.height}; "
                           "they must be the same size.")
        if len(request.images) > 1 and not model.mask_with_references:
            raise Unsupported(f"{where} cannot combine a mask with reference images; remove the references "
                              "or edit without the selection mask.")
    if request.markup is not None:
        markup = image_info(request.markup, "markup layer")
        # the overlay applies to the first image and must match it pixel for pixel (OpenAI's guide)
        if markup.format != "png":
            raise BadInput("The markup layer must be a PNG with transparency.")
        first = image_info(request.images[0], "image to edit")
        if (markup.width, markup.height) != (first.width, first.height):
            raise BadInput(f"The markup layer is {markup.width}x{markup.height} but the image is "
                           f"{first.width}x{first.height}; they must be the same size.")


def data_url(image: ImageInput) -> str:
    info = image_info(image, "image")
    return f"data:{info.mime};base64," + base64.b64encode(image.data).decode("ascii")


def decode_b64(text: str, what: str = "image") -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError, AttributeError):
        raise BadResponse(f"The provider sent a damaged {what} (its base64 text does not decode).") from None


def decode_data_url(url: str) -> tuple[bytes, str | None]:
    """`data:image/png;base64,....` → (bytes, mime)."""
    header, sep, payload = url.partition(",")
    if not sep or not header.lower().startswith("data:"):
        raise BadResponse("The provider sent a malformed data: URL instead of an image.")
    meta = header[5:].split(";")
    mime = meta[0] or None
    if "base64" not in [m.strip().lower() for m in meta[1:]]:
        from urllib.parse import unquote_to_bytes

        return unquote_to_bytes(payload), mime
    return decode_b64(payload), mime


def output_refs(value: Any) -> list[OutputRef]:
    """Outputs in any documented shape: "url", ["url", ...], {"url": ...}, [{"url": ...}, ...],
    {"images": [...]}; data: URLs stay URLs until `fetch` decodes them."""
    if value is None:
        return []
    if isinstance(value, str):
        return [OutputRef(url=value.strip())] if value.strip() else []
    if isinstance(value, list):
        refs: list[OutputRef] = []
        for item in value:
            refs.extend(output_refs(item))
        return refs
    if isinstance(value, Mapping):
        for key in ("url", "uri", "image_url"):
            url = value.get(key)
            if isinstance(url, str) and url.strip():
                mime = value.get("content_type")
                return [OutputRef(url=url.strip(), mime=mime if isinstance(mime, str) else None)]
        b64 = value.get("b64_json")
        if isinstance(b64, str) and b64:
            return [OutputRef(data=decode_b64(b64))]
        for key in ("images", "output", "outputs"):
            if key in value:
                return output_refs(value[key])
    return []


def usage_from(obj: Any) -> Usage | None:
    """OpenAI's usage object (also forwarded by fal): input tokens split into text and image."""
    if not isinstance(obj, Mapping):
        return None

    def num(v: Any) -> int:
        return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0

    details = obj.get("input_tokens_details")
    total_in = num(obj.get("input_tokens"))
    if isinstance(details, Mapping):
        text, image = num(details.get("text_tokens")), num(details.get("image_tokens"))
    else:
        text, image = total_in, 0
    return Usage(input_text_tokens=text, input_image_tokens=image, output_tokens=num(obj.get("output_tokens")))


def status_of(word: Any, table: Mapping[str, RemoteStatus]) -> RemoteStatus:
    """Unknown words mean "still running": the job's overall deadline ends the wait (docs/providers.md)."""
    return table.get(str(word or "").strip().lower(), RemoteStatus.RUNNING)


_MODERATION_HINTS = ("moderation", "safety system", "content policy", "content_policy", "nsfw", "flagged")


def job_failure(message: str, label: str, *, code: str | None = None) -> Exception:
    """The error for a job the provider reports as failed."""
    text = sentence(message or "no reason given")
    probe = f"{code or ''} {text}".lower()
    if any(h in probe for h in _MODERATION_HINTS):
        return ModerationBlocked(f"{label} refused the edit for safety reasons: {text} "
                                 "Change the prompt or the image.")
    return ProviderError(f"{label} could not make the edit: {text}")


def sentence(text: str) -> str:
    """The provider's words as one sentence: exactly one closing mark, whatever they ended with."""
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?", "…")) else text + "."


class HTTPProvider(Provider):
    """A provider reached through `Transport`, validated against the catalog."""

    #: how the transport pulls a message out of this provider's error bodies
    error_detail: Callable[[Any], ErrorDetail] = staticmethod(generic_error_detail)

    def __init__(self, config: ProviderConfig, *, transport: Transport | None = None,
                 retry: RetryPolicy | None = None, read_timeout: float | None = None):
        super().__init__(config)
        self.info: ProviderInfo = PROVIDERS[self.name]
        self.base_url = validate_base_url(config.base_url or self.info.default_base_url, self.info.label)
        self._retry = retry
        self.read_timeout = read_timeout if read_timeout is not None else config.read_timeout
        self._transport = transport

    @property
    def transport(self) -> Transport:
        if self._transport is None:
            self._transport = Transport(
                self.base_url, self.config.api_key, self.info.auth_header,
                connect_timeout=self.config.connect_timeout, read_timeout=self.read_timeout,
                label=self.info.label, key_env=self.info.key_env, error_parser=type(self).error_detail,
                retry=self._retry,
            )
        return self._transport

    def model(self, request: EditRequest) -> ModelInfo:
        return model_info(self.name, request.model)

    def check(self, request: EditRequest) -> None:
        check_request(request, self.model(request), self.info.label)

    def fetch(self, ref: OutputRef) -> bytes:
        if ref.data is not None:
            data = ref.data
        elif ref.url and ref.url.lower().startswith("data:"):
            data, _ = decode_data_url(ref.url)
        elif ref.url:
            data = self.transport.download(ref.url)
        else:
            raise BadResponse(f"{self.info.label} reported a result without an image.")
        check_image(data)
        return data

    @staticmethod
    def notify(listener: SubmitListener | None, kind: str, value: object) -> None:
        """Listener failures (a closed progress window) must not fail a paid edit."""
        if listener is not None:
            try:
                listener(kind, value)
            except Exception:  # noqa: BLE001 - the UI's problem, never the job's
                pass
