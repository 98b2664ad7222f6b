"""What the four provider modules share: the recipe's request checks (recipe.check_request), the transport
they talk through, data URLs and base64, the many shapes an output can take, and fetching outputs safely."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from ..catalog import PROVIDERS, ModelInfo, ProviderInfo, model_info
from ..errors import BadResponse, ModerationBlocked, ProviderError
from ..imagesniff import check_image
from ..models import EditRequest, ImageInput, OutputRef, RemoteStatus, Usage
from ..recipe import check_request, image_info
from ..transport import ErrorDetail, RetryPolicy, Transport, generic_error_detail, validate_base_url
from .base import Provider, ProviderConfig, SubmitListener


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
    """OpenAI's usage object (also forwarded by fal): input and output tokens split into text and image."""
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
    total_out = num(obj.get("output_tokens"))
    out_details = obj.get("output_tokens_details")
    # OpenAI's ImageGenUsage splits output into image and text tokens, which are priced differently
    text_out = min(total_out, num(out_details.get("text_tokens"))) if isinstance(out_details, Mapping) else 0
    return Usage(
        input_text_tokens=text, input_image_tokens=image, output_tokens=total_out, output_text_tokens=text_out
    )


def status_of(word: Any, table: Mapping[str, RemoteStatus]) -> RemoteStatus:
    """Unknown words mean "still running": the job's overall deadline ends the wait (docs/providers.md)."""
    return table.get(str(word or "").strip().lower(), RemoteStatus.RUNNING)


_MODERATION_HINTS = ("moderation", "safety system", "content policy", "content_policy", "nsfw", "flagged")


def job_failure(message: str, label: str, *, code: str | None = None) -> Exception:
    """The error for a job the provider reports as failed."""
    text = sentence(message or "no reason given")
    probe = f"{code or ''} {text}".lower()
    if any(h in probe for h in _MODERATION_HINTS):
        return ModerationBlocked(
            f"{label} refused the edit for safety reasons: {text} Change the prompt or the image."
        )
    return ProviderError(f"{label} could not make the edit: {text}")


def sentence(text: str) -> str:
    """The provider's words as one sentence: exactly one closing mark, whatever they ended with."""
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?", "…")) else text + "."


class HTTPProvider(Provider):
    """A provider reached through `Transport`, validated against the catalog."""

    #: how the transport pulls a message out of this provider's error bodies
    error_detail: Callable[[Any], ErrorDetail] = staticmethod(generic_error_detail)

    def __init__(
        self,
        config: ProviderConfig,
        *,
        transport: Transport | None = None,
        retry: RetryPolicy | None = None,
        read_timeout: float | None = None,
    ):
        super().__init__(config)
        self.info: ProviderInfo = PROVIDERS[self.name]
        self.base_url = validate_base_url(config.base_url or self.info.default_base_url, self.info.label)
        self._retry = retry
        self.read_timeout = read_timeout if read_timeout is not None else config.read_timeout
        self._transport = transport

    @property
    def transport(self) -> Transport:
        if self._transport is None:
            self._transport = self._new_transport(self.base_url, self.read_timeout)
        return self._transport

    def _new_transport(self, base_url: str, read_timeout: float) -> Transport:
        """A transport to one of this provider's hosts: its key and auth scheme, connect timeout, error
        reading and retry policy are the same for every host it talks to."""
        return Transport(
            base_url,
            self.config.api_key,
            self.info.auth_header,
            connect_timeout=self.config.connect_timeout,
            read_timeout=read_timeout,
            label=self.info.label,
            key_env=self.info.key_env,
            error_parser=type(self).error_detail,
            retry=self._retry,
        )

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
