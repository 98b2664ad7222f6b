"""What each provider and model can do, as plain data.

The settings UI builds its menus from this, and every provider's `check()` validates a request against it
before anything is sent. Where the providers' public sources (docs/providers.md) leave a capability
UNCONFIRMED we offer the smaller, safer set and say why next to the entry: a refused option in a menu costs
the user nothing, a 422 after an upload costs time, and a silently ignored option (a mask the model never
saw) costs money.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import BadInput
from .models import Background, OutputFormat
from .sizes import FIXED, GPT_IMAGE_2, SizeRule

ALL_FORMATS = (OutputFormat.PNG, OutputFormat.JPEG, OutputFormat.WEBP)
ALL_BACKGROUNDS = (Background.AUTO, Background.OPAQUE, Background.TRANSPARENT)
NO_TRANSPARENT = (Background.AUTO, Background.OPAQUE)


@dataclass(frozen=True)
class ModelInfo:
    provider: str
    id: str
    label: str
    sizes: SizeRule
    max_n: int
    supports_mask: bool
    supports_stream: bool
    formats: tuple[OutputFormat, ...] = ALL_FORMATS
    backgrounds: tuple[Background, ...] = ALL_BACKGROUNDS
    #: images per request (the first is edited, the rest are references)
    max_inputs: int = 16
    #: OpenAI's limit for GPT image models (docs/providers.md "OpenAI: request fields"); the hosted variants
    #: pass the prompt through
    max_prompt: int = 32000


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    label: str
    default_base_url: str
    #: environment variable holding the key (also named in error messages)
    key_env: str
    #: the word before the key in the Authorization header ("Bearer" or "Key")
    auth: str
    models: tuple[ModelInfo, ...]
    default_model: str
    can_cancel: bool
    can_stream: bool

    def auth_header(self, key: str) -> dict[str, str]:
        return {"Authorization": f"{self.auth} {key}"}

    def model_ids(self) -> list[str]:
        return [m.id for m in self.models]


_EACHLABS = ProviderInfo(
    name="eachlabs",
    label="each::labs",
    default_base_url="https://api.eachlabs.ai",
    key_env="EACHLABS_API_KEY",
    # Bearer is the documented header since 2026-07-27; X-API-Key still works but is undocumented
    # (docs/providers.md "each::labs: authentication")
    auth="Bearer",
    models=(
        ModelInfo(
            provider="eachlabs",
            id="gpt-image-v2-edit",
            label="GPT Image 2 Edit",
            # the allowed image_size values for v2 are UNCONFIRMED (docs/providers.md "each::labs: model
            # inputs"); only the three sizes of the v1.5 enum have evidence, so custom sizes are not offered
            # here
            sizes=FIXED,
            # num_images has no documented maximum (v1.5: "integer, default 1"); 4 bounds the bill
            max_n=4,
            # no mask field is documented for v2 (only the older `openai-image-edit` slug has mask_url)
            supports_mask=False,
            supports_stream=False,
            # gpt-image-2 returned an error for transparent backgrounds until 2026-08-21 and is only "in
            # preview" since (docs/providers.md "OpenAI: request fields"); each::labs' pass-through is unknown
            backgrounds=NO_TRANSPARENT,
            max_inputs=16,
        ),
        ModelInfo(
            provider="eachlabs",
            id="gpt-image-v1-5-edit",
            label="GPT Image 1.5 Edit",
            # image_size enum 1024x1024, 1536x1024, 1024x1536 (docs/providers.md "each::labs: model inputs",
            # [E11])
            sizes=FIXED,
            max_n=4,
            supports_mask=False,  # not in the v1.5 input table [E11]
            supports_stream=False,
            backgrounds=ALL_BACKGROUNDS,  # enum auto, transparent, opaque [E11]
            max_inputs=16,
        ),
    ),
    default_model="gpt-image-v2-edit",
    can_cancel=True,
    can_stream=False,
)

_OPENAI = ProviderInfo(
    name="openai",
    label="OpenAI",
    default_base_url="https://api.openai.com/v1",
    key_env="OPENAI_API_KEY",
    auth="Bearer",
    models=(
        ModelInfo(
            provider="openai",
            id="gpt-image-2",
            label="GPT Image 2",
            # any WxH within the custom-size limits (docs/providers.md "OpenAI: request fields")
            sizes=GPT_IMAGE_2,
            max_n=10,
            supports_mask=True,
            # whether gpt-image-2 streams partial images on /images/edits is UNCONFIRMED (docs/providers.md
            # "OpenAI: streaming"): the request is sent without `stream` so a refusal cannot fail a paid edit
            supports_stream=False,
            backgrounds=NO_TRANSPARENT,  # transparent: error until 2026-08-21, "preview" since [O3]
        ),
        ModelInfo("openai", "gpt-image-1.5", "GPT Image 1.5", FIXED, 10, True, True),
        ModelInfo("openai", "gpt-image-1", "GPT Image 1", FIXED, 10, True, True),
        ModelInfo("openai", "gpt-image-1-mini", "GPT Image 1 mini", FIXED, 10, True, True),
    ),
    default_model="gpt-image-2",
    can_cancel=False,
    can_stream=True,
)

_REPLICATE = ProviderInfo(
    name="replicate",
    label="Replicate",
    default_base_url="https://api.replicate.com",
    key_env="REPLICATE_API_TOKEN",
    auth="Bearer",
    models=(
        ModelInfo(
            provider="replicate",
            id="openai/gpt-image-2",
            label="GPT Image 2 (Replicate)",
            # Replicate takes aspect_ratio 1:1 | 3:2 | 2:3, not pixel sizes: the three standard sizes map
            # onto them; "auto" picks the ratio nearest to the input image
            sizes=FIXED,
            # number_of_images is "limited to 1" for gpt-image-2 (third-party mirror of the schema,
            # docs/providers.md "Replicate: model inputs")
            max_n=1,
            # no mask field exists on any openai/gpt-image-* model on Replicate (docs/providers.md "Replicate:
            # model inputs")
            supports_mask=False,
            supports_stream=False,
            # background enum auto | opaque (docs/providers.md "Replicate: model inputs")
            backgrounds=NO_TRANSPARENT,
        ),
        ModelInfo(
            provider="replicate",
            id="openai/gpt-image-1.5",
            label="GPT Image 1.5 (Replicate)",
            sizes=FIXED,
            # the 1.5 schema is UNCONFIRMED; its siblings allow 1-10, we offer up to 4
            max_n=4,
            supports_mask=False,
            supports_stream=False,
            backgrounds=ALL_BACKGROUNDS,
        ),
    ),
    default_model="openai/gpt-image-2",
    can_cancel=True,
    can_stream=False,
)

_FAL = ProviderInfo(
    name="fal",
    label="fal",
    default_base_url="https://queue.fal.run",
    key_env="FAL_KEY",
    auth="Key",
    models=(
        ModelInfo(
            provider="fal",
            id="openai/gpt-image-2/edit",
            label="GPT Image 2 Edit (fal)",
            # image_size accepts {"width","height"} (docs/providers.md "fal: model inputs")
            sizes=GPT_IMAGE_2,
            max_n=4,  # num_images range for gpt-image-2 is UNCONFIRMED; fal's gpt-image-1 edit allows 1-4
            # mask_url is the field name LiteLLM's fal adapter uses (docs/providers.md "fal: model inputs");
            # the name is UNCONFIRMED on fal's own page, but it is the only evidence and matches fal's *_url
            # naming
            supports_mask=True,
            # fal streams through a separate endpoint; the queue's status stream carries no partial images
            supports_stream=False,
            backgrounds=NO_TRANSPARENT,
        ),
    ),
    default_model="openai/gpt-image-2/edit",
    can_cancel=True,
    can_stream=False,
)

PROVIDERS: dict[str, ProviderInfo] = {p.name: p for p in (_EACHLABS, _OPENAI, _REPLICATE, _FAL)}


def provider_info(provider: str) -> ProviderInfo:
    try:
        return PROVIDERS[provider]
    except KeyError:
        raise BadInput(
            f"Unknown provider {provider!r}; choose one of {', '.join(PROVIDERS)}."
        ) from None


def model_info(provider: str, model: str | None = None) -> ModelInfo:
    """The model's capabilities; `None` or "" means the provider's default model."""
    info = provider_info(provider)
    wanted = model or info.default_model
    for m in info.models:
        if m.id == wanted:
            return m
    raise BadInput(
        f"{info.label} has no model {wanted!r}; choose one of {', '.join(info.model_ids())}."
    )
