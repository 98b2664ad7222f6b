"""What each provider and model can do, as plain data: one `ModelInfo` per model, nothing else here
decides anything.

The settings UIs build their menus from this, every provider's `check()` validates a request against it
before anything is sent, pricing reads each model's family and rates from it, and `retirement.py` reads
each model's shutdown date. The provider's own name for a model (an OpenAI model id, a fal endpoint, a
Replicate `owner/name`, an each::labs slug) is the entry's `id` and lives nowhere else.

Where the providers' public sources (docs/providers.md) leave a capability UNCONFIRMED we offer the
smaller, safer set and say why next to the entry: a refused option in a menu costs the user nothing, a 422
after an upload costs time, and a silently ignored option (a mask the model never saw) costs money. Users
add or override entries without a release through `models.json` in the config folder (`user_catalog.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from .errors import BadInput
from .models import Background, Complexity, OutputFormat, Quality
from .sizes import FIXED, GPT_IMAGE_2, SizeRule

ALL_FORMATS = (OutputFormat.PNG, OutputFormat.JPEG, OutputFormat.WEBP)
ALL_BACKGROUNDS = (Background.AUTO, Background.OPAQUE, Background.TRANSPARENT)
NO_TRANSPARENT = (Background.AUTO, Background.OPAQUE)
#: the tiers of gpt-image-1 … gpt-image-2
CLASSIC_QUALITIES = (Quality.LOW, Quality.MEDIUM, Quality.HIGH, Quality.AUTO)
#: GPT Image 2.5 and 2.6 add xhigh and max above high
TIERED_QUALITIES = (Quality.LOW, Quality.MEDIUM, Quality.HIGH, Quality.XHIGH, Quality.MAX, Quality.AUTO)
ALL_COMPLEXITIES = (Complexity.LOW, Complexity.MEDIUM, Complexity.HIGH)

# OpenAI's deprecations page announced these shutdowns on 2026-06-02 (quoted, for example, in
# https://github.com/MicrosoftDocs/azure-ai-docs/pull/833); the page itself:
DEPRECATIONS_URL = "https://platform.openai.com/docs/deprecations"
GPT_IMAGE_1_SHUTDOWN = date(2026, 10, 23)
GPT_IMAGE_15_SHUTDOWN = date(2026, 12, 1)


@dataclass(frozen=True)
class Rates:
    """USD per 1M tokens: text in, image in, image out, and text out where it is priced apart."""

    text_in: float
    image_in: float
    image_out: float
    #: text output tokens (a usage's `output_tokens_details.text_tokens`); None = priced as image output
    text_out: float | None = None


@dataclass(frozen=True)
class ModelInfo:
    provider: str
    #: the provider's own name for the model: what goes on the wire (model field, URL path or slug)
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
    #: OpenAI's limit for GPT image models; the hosted variants pass the prompt through
    max_prompt: int = 32000
    qualities: tuple[Quality, ...] = CLASSIC_QUALITIES
    #: empty: the model has no `complexity` setting
    complexities: tuple[Complexity, ...] = ()
    #: takes a markup overlay (strokes drawn on a transparent layer the size of the first image)
    supports_markup: bool = False
    #: gpt-image-2 refuses a mask together with several input images
    mask_with_references: bool = True
    #: the OpenAI model underneath, for prices ("gpt-image-2.6", "gpt-image-2", …)
    family: str = ""
    #: USD per 1M tokens when this route has its own rates; None = the family's OpenAI list prices
    rates: Rates | None = None
    #: the last day the provider serves the model is the day before; None = no shutdown announced
    shutdown: date | None = None
    #: the model id at the same provider to use instead once it is shut down
    replacement: str = ""
    #: public page announcing the shutdown
    shutdown_source: str = ""
    #: True for entries that came from the user's models.json
    user_defined: bool = False

    def retired_on(self, today: date) -> bool:
        return self.shutdown is not None and today >= self.shutdown

    def quality_choices(self) -> list[str]:
        return [q.value for q in self.qualities]

    def complexity_choices(self) -> list[str]:
        return [c.value for c in self.complexities]


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    label: str
    default_base_url: str
    #: environment variable holding the key (also named in error messages)
    key_env: str
    #: the word before the key in the Authorization header ("Bearer" or "Key")
    auth: str
    #: every model we know, current and retired (retired ones stay so a request naming one can be answered
    #: with its replacement)
    models: tuple[ModelInfo, ...]
    default_model: str
    can_cancel: bool
    can_stream: bool
    #: why the default is the default (shown by `gptedit models`, summarised in the README)
    default_reason: str = field(default="", compare=False)

    def auth_header(self, key: str) -> dict[str, str]:
        return {"Authorization": f"{self.auth} {key}"}

    def model_ids(self) -> list[str]:
        """Every model id, retired ones included; menus use `retirement.offered_models` instead."""
        return [m.id for m in self.models]

    def find(self, model: str) -> ModelInfo | None:
        for m in self.models:
            if m.id == model:
                return m
        return None


def _openai_2x(id: str, label: str, family: str, **kw) -> ModelInfo:
    """The GPT Image 2.5 / 2.6 entries share everything but what is passed in."""
    base = dict(
        provider="openai",
        id=id,
        label=label,
        sizes=GPT_IMAGE_2,
        max_n=10,
        supports_mask=True,
        # streamed edits: the 2.5 guide documents `stream`/`partial_images` on /images/edits for these
        # models (https://developers.openai.com/api/docs/guides/image-generation#streaming)
        supports_stream=True,
        backgrounds=ALL_BACKGROUNDS,
        qualities=TIERED_QUALITIES,
        family=family,
    )
    base.update(kw)
    return ModelInfo(**base)


_EACHLABS = ProviderInfo(
    name="eachlabs",
    label="each::labs",
    default_base_url="https://api.eachlabs.ai",
    key_env="EACHLABS_API_KEY",
    # Bearer is the documented header since 2026-07-27; X-API-Key still works but is undocumented
    auth="Bearer",
    models=(
        ModelInfo(
            provider="eachlabs",
            id="gpt-image-v2-edit",
            label="GPT Image 2 Edit",
            # the allowed image_size values for v2 are UNCONFIRMED; only the three sizes of the v1.5 enum
            # have evidence, so custom sizes are not offered here
            sizes=FIXED,
            # num_images has no documented maximum (v1.5: "integer, default 1"); 4 bounds the bill
            max_n=4,
            # no mask field is documented for v2 (only the older `openai-image-edit` slug has mask_url)
            supports_mask=False,
            supports_stream=False,
            # gpt-image-2 has no transparent background (auto | opaque)
            backgrounds=NO_TRANSPARENT,
            max_inputs=16,
            family="gpt-image-2",
            # each::labs' own rates for gpt-image-v2: text in $5, image in $10, image out $30
            # (https://github.com/eachlabs/skills, skills/gpt-image-v2; checked 2026-08-21)
            rates=Rates(5.00, 10.00, 30.00),
        ),
        ModelInfo(
            provider="eachlabs",
            id="gpt-image-v1-5-edit",
            label="GPT Image 1.5 Edit",
            sizes=FIXED,  # image_size enum 1024x1024, 1536x1024, 1024x1536
            max_n=4,
            supports_mask=False,  # not in the v1.5 input table
            supports_stream=False,
            backgrounds=ALL_BACKGROUNDS,  # enum auto, transparent, opaque
            max_inputs=16,
            family="gpt-image-1.5",
            # wraps gpt-image-1.5; each::labs has announced no date of its own, so OpenAI's is used
            # (UNCONFIRMED for this slug)
            shutdown=GPT_IMAGE_15_SHUTDOWN,
            replacement="gpt-image-v2-edit",
            shutdown_source=DEPRECATIONS_URL,
        ),
    ),
    default_model="gpt-image-v2-edit",
    default_reason="the only current GPT Image model each::labs lists (its 1.5 slug wraps a retired model)",
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
        # GPT Image 2.6 (launched 2026-11-04): quality low … max, complexity, mask and markup edits
        # (https://developers.openai.com/api/docs/models/gpt-image-2.6-sunburst and -flare;
        # https://docs.comfy.org/built-in-nodes/OpenAIGPTImageNodeV3)
        _openai_2x(
            "gpt-image-2.6-sunburst",
            "GPT Image 2.6 Sunburst (detailed)",
            "gpt-image-2.6",
            complexities=ALL_COMPLEXITIES,
            supports_markup=True,
        ),
        _openai_2x(
            "gpt-image-2.6-flare",
            "GPT Image 2.6 Flare (fast)",
            "gpt-image-2.6",
            complexities=ALL_COMPLEXITIES,
            supports_markup=True,
        ),
        # GPT Image 2.5 (2026-09-08): the 2.6 inputs without complexity. ComfyUI's node also lists markup
        # inputs for 2.5, but OpenAI's guide names markup as new in 2.6: not offered (UNCONFIRMED)
        _openai_2x("gpt-image-2.5-sunburst", "GPT Image 2.5 Sunburst", "gpt-image-2.5"),
        _openai_2x("gpt-image-2.5-flare", "GPT Image 2.5 Flare", "gpt-image-2.5"),
        _openai_2x(
            "gpt-image-2.5-sunburst-2026-09-08",
            "GPT Image 2.5 Sunburst (2026-09-08 snapshot)",
            "gpt-image-2.5",
        ),
        _openai_2x(
            "gpt-image-2.5-flare-2026-09-08", "GPT Image 2.5 Flare (2026-09-08 snapshot)", "gpt-image-2.5"
        ),
        ModelInfo(
            provider="openai",
            id="gpt-image-2",
            label="GPT Image 2",
            sizes=GPT_IMAGE_2,  # any WxH within the custom-size limits
            max_n=10,
            supports_mask=True,
            # whether gpt-image-2 streams partial images on /images/edits is UNCONFIRMED: the request is
            # sent without `stream` so a refusal cannot fail a paid edit
            supports_stream=False,
            backgrounds=NO_TRANSPARENT,  # auto | opaque (https://docs.comfy.org/built-in-nodes/OpenAIGPTImageNodeV2)
            mask_with_references=False,  # "a mask cannot be combined with several input images" (same page)
            family="gpt-image-2",
        ),
        ModelInfo(
            "openai",
            "gpt-image-2-2026-04-21",
            "GPT Image 2 (2026-04-21 snapshot)",
            GPT_IMAGE_2,
            10,
            True,
            False,
            backgrounds=NO_TRANSPARENT,
            mask_with_references=False,
            family="gpt-image-2",
        ),
        ModelInfo(
            "openai",
            "gpt-image-1.5",
            "GPT Image 1.5",
            FIXED,
            10,
            True,
            True,
            family="gpt-image-1.5",
            shutdown=GPT_IMAGE_15_SHUTDOWN,
            replacement="gpt-image-2.6-sunburst",
            shutdown_source=DEPRECATIONS_URL,
        ),
        ModelInfo(
            "openai",
            "chatgpt-image-latest",
            "ChatGPT Image (latest)",
            FIXED,
            10,
            True,
            True,
            family="gpt-image-1.5",
            shutdown=GPT_IMAGE_15_SHUTDOWN,
            replacement="gpt-image-2.6-sunburst",
            shutdown_source=DEPRECATIONS_URL,
        ),
        ModelInfo(
            "openai",
            "gpt-image-1-mini",
            "GPT Image 1 mini",
            FIXED,
            10,
            True,
            True,
            family="gpt-image-1-mini",
            shutdown=GPT_IMAGE_15_SHUTDOWN,
            replacement="gpt-image-2.6-flare",
            shutdown_source=DEPRECATIONS_URL,
        ),
        ModelInfo(
            "openai",
            "gpt-image-1",
            "GPT Image 1",
            FIXED,
            10,
            True,
            True,
            family="gpt-image-1",
            shutdown=GPT_IMAGE_1_SHUTDOWN,
            replacement="gpt-image-2.6-sunburst",
            shutdown_source=DEPRECATIONS_URL,
        ),
    ),
    default_model="gpt-image-2.6-sunburst",
    default_reason="the newest model, and the one OpenAI tunes for detail and steady repeated edits; "
    "Flare is the fast draft model at the same token rates",
    can_cancel=False,
    can_stream=True,
)

#: The text model that calls the image tool on the Responses route, unless the `text_model` setting names
#: another. OpenAI's tool guide lists the mainline models that can call it (gpt-4o, gpt-4.1 and -mini/-nano,
#: o3, gpt-5 and later); gpt-4.1-mini is a cheap one without reasoning tokens, and a captured real response
#: shows it driving this tool
#: (https://community.openai.com/t/how-is-pricing-calculated-when-using-v1-responses-with-gpt-image-1/1358188).
#: Which mainline models accept the tool is not in the OpenAPI spec: UNCONFIRMED beyond those sources.
RESPONSES_TEXT_MODEL = "gpt-4.1-mini"

# The same OpenAI models reached through the Responses API in background mode (providers/openai_responses.py):
# the image tool takes the same options, mask and complexity; one image per response (the request allows
# one tool call), no streamed previews (background responses are polled) and no markup (the tool has no
# such field: https://github.com/openai/openai-python, types/responses/tool_param.py).
_OPENAI_RESPONSES = replace(
    _OPENAI,
    name="openai-responses",
    label="OpenAI Responses (background)",
    models=tuple(
        replace(m, provider="openai-responses", max_n=1, supports_stream=False, supports_markup=False)
        for m in _OPENAI.models
    ),
    default_reason="the same default as OpenAI's Images route",
    can_cancel=True,
    can_stream=False,
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
            # number_of_images is "limited to 1" for gpt-image-2 (third-party mirror of the schema)
            max_n=1,
            # no mask field exists on any openai/gpt-image-* model on Replicate
            supports_mask=False,
            supports_stream=False,
            backgrounds=NO_TRANSPARENT,  # the runtime rejects transparent
            family="gpt-image-2",
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
            family="gpt-image-1.5",
            # wraps gpt-image-1.5; Replicate has announced no date of its own (UNCONFIRMED for this model)
            shutdown=GPT_IMAGE_15_SHUTDOWN,
            replacement="openai/gpt-image-2",
            shutdown_source=DEPRECATIONS_URL,
        ),
        ModelInfo(
            "replicate",
            "openai/gpt-image-1",
            "GPT Image 1 (Replicate)",
            FIXED,
            4,
            False,
            False,
            family="gpt-image-1",
            shutdown=GPT_IMAGE_1_SHUTDOWN,
            replacement="openai/gpt-image-2",
            shutdown_source=DEPRECATIONS_URL,
        ),
        ModelInfo(
            "replicate",
            "openai/gpt-image-1-mini",
            "GPT Image 1 mini (Replicate)",
            FIXED,
            4,
            False,
            False,
            family="gpt-image-1-mini",
            shutdown=GPT_IMAGE_15_SHUTDOWN,
            replacement="openai/gpt-image-2",
            shutdown_source=DEPRECATIONS_URL,
        ),
    ),
    default_model="openai/gpt-image-2",
    default_reason="the only current GPT Image model Replicate lists; GPT Image 2.5/2.6 are not on Replicate",
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
            sizes=GPT_IMAGE_2,  # image_size accepts {"width","height"}
            max_n=4,  # num_images range for gpt-image-2 is UNCONFIRMED; fal's gpt-image-1 edit allows 1-4
            # mask_url is the field name LiteLLM's fal adapter uses; the name is UNCONFIRMED on fal's own
            # page, but it is the only evidence and matches fal's *_url naming
            supports_mask=True,
            # fal streams through a separate endpoint; the queue's status stream carries no partial images
            supports_stream=False,
            backgrounds=NO_TRANSPARENT,
            family="gpt-image-2",
        ),
        ModelInfo(
            provider="fal",
            # the endpoint name LiteLLM's fal adapter calls (https://github.com/BerriAI/litellm,
            # llms/fal_ai/image_edit); fal's own page for it could not be read here, so its inputs are
            # assumed to be those of openai/gpt-image-2/edit, and the new tiers are not offered (UNCONFIRMED)
            id="openai/gpt-image-2.5/flare/edit",
            label="GPT Image 2.5 Flare Edit (fal)",
            sizes=GPT_IMAGE_2,
            max_n=4,
            supports_mask=True,
            supports_stream=False,
            backgrounds=NO_TRANSPARENT,
            family="gpt-image-2.5",
        ),
        # fal's older GPT Image endpoints, kept so a saved setting naming one is answered with the replacement
        ModelInfo(
            "fal",
            "fal-ai/gpt-image-1.5/edit",
            "GPT Image 1.5 Edit (fal)",
            FIXED,
            4,
            True,
            False,
            family="gpt-image-1.5",
            shutdown=GPT_IMAGE_15_SHUTDOWN,
            replacement="openai/gpt-image-2/edit",
            shutdown_source=DEPRECATIONS_URL,
        ),
        ModelInfo(
            "fal",
            "fal-ai/gpt-image-1/edit-image",
            "GPT Image 1 Edit (fal)",
            FIXED,
            4,
            True,
            False,
            family="gpt-image-1",
            shutdown=GPT_IMAGE_1_SHUTDOWN,
            replacement="openai/gpt-image-2/edit",
            shutdown_source=DEPRECATIONS_URL,
        ),
    ),
    default_model="openai/gpt-image-2/edit",
    default_reason="the fal endpoint whose inputs (mask_url, image_size, quality) fal documents; "
    "the 2.5 Flare endpoint is offered, but its inputs are not confirmed on fal's own page",
    can_cancel=True,
    can_stream=False,
)

#: the catalog as shipped; `PROVIDERS` is this plus the user's models.json (see `user_catalog.apply`)
BUILTIN: dict[str, ProviderInfo] = {
    p.name: p for p in (_EACHLABS, _OPENAI, _OPENAI_RESPONSES, _REPLICATE, _FAL)
}
PROVIDERS: dict[str, ProviderInfo] = dict(BUILTIN)


def provider_info(provider: str) -> ProviderInfo:
    try:
        return PROVIDERS[provider]
    except KeyError:
        raise BadInput(f"Unknown provider {provider!r}; choose one of {', '.join(PROVIDERS)}.") from None


def find_model(provider: str, model: str | None = None) -> ModelInfo | None:
    """The entry for a model, retired or not, or None. For prices and history; requests use `model_info`."""
    info = PROVIDERS.get(provider)
    if info is None:
        return None
    return info.find(model or info.default_model)


def model_info(provider: str, model: str | None = None, *, today: date | None = None) -> ModelInfo:
    """The capabilities of a model that can be used today; `None` or "" means the provider's default.
    A retired model raises `ModelRetired` naming its replacement, an unknown one `BadInput`."""
    from .retirement import check_not_retired, current_date, offered_models  # late: it imports this module

    info = provider_info(provider)
    wanted = (model or info.default_model).strip()
    found = info.find(wanted)
    if found is None:
        when = today or current_date()
        choices = ", ".join(m.id for m in offered_models(provider, today=when))
        raise BadInput(f"{info.label} has no model {wanted!r}; choose one of {choices}.")
    check_not_retired(found, today=today)
    return found


def with_models(
    info: ProviderInfo, models: tuple[ModelInfo, ...], default_model: str | None = None
) -> ProviderInfo:
    return replace(info, models=models, default_model=default_model or info.default_model)
