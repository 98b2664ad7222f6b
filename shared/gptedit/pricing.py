"""What an edit will cost before it runs, and what it did cost after.

All money is US dollars; all rates are per 1,000,000 tokens. Each rate and token table below names its
public source and the date it was read; docs/providers.md "Pricing" sums them up.

How a GPT-image edit is billed (OpenAI's pricing page, https://developers.openai.com/api/docs/pricing):
text input tokens (the prompt) + image input tokens (the pictures sent) at input rates, plus image output
tokens at the output rate. Output tokens depend only on the output size and quality, so they are known
before the run — except with quality or size "auto", where the estimate becomes a range. Input image
tokens are not published per size for these models: they are approximations, and every estimate says so
in its `basis`. Each model's family and any route-specific rates come from the catalog, so a model added
in the user's models.json is priced like the built-in ones.
"""

from __future__ import annotations

import re

from .catalog import RESPONSES_TEXT_MODEL, Rates, find_model
from .errors import BadInput
from .models import CostEstimate, Quality, Size, Usage
from .sizes import STANDARD_SIZES

GPT_IMAGE_26 = "gpt-image-2.6"
GPT_IMAGE_25 = "gpt-image-2.5"
GPT_IMAGE_2 = "gpt-image-2"
GPT_IMAGE_15 = "gpt-image-1.5"
GPT_IMAGE_1 = "gpt-image-1"
GPT_IMAGE_1_MINI = "gpt-image-1-mini"
#: the families billed by the gpt-image-2 output-token formula
_V2_FAMILIES = (GPT_IMAGE_2, GPT_IMAGE_25, GPT_IMAGE_26)

# Model ids the catalog does not hold (old ledger rows, aliases) → the OpenAI model underneath.
# Order matters: "2.6"/"2.5" before "2", "mini" and "1.5" before plain "1".
_FAMILIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"gpt-image-v?2[.-]6(?!\d)"), GPT_IMAGE_26),
    (re.compile(r"gpt-image-v?2[.-]5(?!\d)"), GPT_IMAGE_25),
    (re.compile(r"gpt-image-1-mini"), GPT_IMAGE_1_MINI),
    (re.compile(r"chatgpt-image-latest"), GPT_IMAGE_15),
    (re.compile(r"gpt-image-(?:1\.5|1-5|v1-5)(?![\d.])"), GPT_IMAGE_15),
    (re.compile(r"gpt-image-v?2(?![\d.])"), GPT_IMAGE_2),  # also gpt-image-2-2026-04-21, gpt-image-v2-edit
    (re.compile(r"gpt-image-v?1(?![\d.]|-5)"), GPT_IMAGE_1),
    (re.compile(r"^openai-image-edit$"), GPT_IMAGE_1),  # each::labs' "GPT-1 Image Edit"
)


def model_family(model: str, provider: str | None = None) -> str | None:
    """The OpenAI model a provider's model id runs, or None when we have no price table for it."""
    if provider:
        entry = find_model(provider, model)
        if entry is not None and entry.family:
            return entry.family
    m = (model or "").strip().lower()
    for pattern, family in _FAMILIES:
        if pattern.search(m):
            return family
    return None


# OpenAI list prices, USD per 1M tokens (text in, image in, image out).
OPENAI_RATES: dict[str, Rates] = {
    # https://developers.openai.com/api/docs/models/gpt-image-2.6-sunburst (and -flare), read 2026-11-29:
    # text $5 in, image $8 in, $30 out — the same for Flare and Sunburst
    GPT_IMAGE_26: Rates(5.00, 8.00, 30.00),
    # "token prices match OpenAI and GPT Image 2.5" (https://docs.apiyi.com/en/live/2026-11/gpt-image-2-6-launch.md,
    # 2026-11-05) and "pricing is the same as gpt-image-2" at 2.5's launch (docs.apiyi.com, 2026-09-09)
    GPT_IMAGE_25: Rates(5.00, 8.00, 30.00),
    # https://developers.openai.com/api/docs/models/gpt-image-2, read 2026-08-21:
    # text $5, image $8 in, $30 out;
    # text output $10 (https://developers.openai.com/api/docs/pricing, image generation models)
    GPT_IMAGE_2: Rates(5.00, 8.00, 30.00, text_out=10.00),
    # image out $32 (fal's quote of OpenAI, 2026-08);
    # input rates assumed equal to gpt-image-2's (UNCONFIRMED);
    # text output $10 (https://developers.openai.com/api/docs/pricing)
    GPT_IMAGE_15: Rates(5.00, 8.00, 32.00, text_out=10.00),
    # https://developers.openai.com/api/docs/models/gpt-image-1: text $5, image $10 in, $40 out
    GPT_IMAGE_1: Rates(5.00, 10.00, 40.00),
    # https://developers.openai.com/api/docs/models/gpt-image-1-mini: text $2, image $2.50 in, $8 out
    GPT_IMAGE_1_MINI: Rates(2.00, 2.50, 8.00),
}

# The Responses route bills the image tool at the image model's rates above, plus the text ("mainline") model
# that calls the tool at its own token rates. USD per 1M tokens (input, output), OpenAI's pricing page
# (https://developers.openai.com/api/docs/pricing); longest prefix wins so dated snapshots match.
RESPONSES = "openai-responses"
MAINLINE_RATES: dict[str, tuple[float, float]] = {
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5": (1.25, 10.00),
}
# What the mainline model reads and writes for one edit, roughly: the prompt and our instructions, each
# picture at its vision cost (a 2048-px side at high detail is 1105 tokens: 85 + 170 per 512-px tile), and
# the tool call it writes (about a paragraph).
_MAINLINE_IMAGE_TOKENS = 1105
_MAINLINE_OVERHEAD_IN = 60
_MAINLINE_OUT = 250

# kept for callers of the earlier name: each::labs' gpt-image-v2 rates now live in its catalog entry
EACHLABS_V2_RATES = Rates(5.00, 10.00, 30.00)

# gpt-image-1 / 1.5 output tokens per image, same table for both (OpenAI's image-generation guide, cost
# table). It matches OpenAI's per-image prices exactly:
# 4160 tokens × $40/M = $0.166 for gpt-image-1 high 1024².
_FIXED_OUTPUT_TOKENS: dict[Size, dict[Quality, int]] = {
    Size(1024, 1024): {Quality.LOW: 272, Quality.MEDIUM: 1056, Quality.HIGH: 4160},
    Size(1024, 1536): {Quality.LOW: 408, Quality.MEDIUM: 1584, Quality.HIGH: 6240},
    Size(1536, 1024): {Quality.LOW: 400, Quality.MEDIUM: 1568, Quality.HIGH: 6208},
}

# gpt-image-1-mini: OpenAI's model page lists per-image prices that do NOT equal the table above × $8
# (272 × $8/M = $0.002, listed $0.005), so the listed prices are used directly (USD per image).
_MINI_PER_IMAGE: dict[Size, dict[Quality, float]] = {
    Size(1024, 1024): {Quality.LOW: 0.005, Quality.MEDIUM: 0.011, Quality.HIGH: 0.036},
    Size(1024, 1536): {Quality.LOW: 0.006, Quality.MEDIUM: 0.015, Quality.HIGH: 0.052},
    Size(1536, 1024): {Quality.LOW: 0.006, Quality.MEDIUM: 0.015, Quality.HIGH: 0.052},
}

# Input image tokens per picture sent (approximate, flat per image: the models resize inputs themselves):
# gpt-image-2 and later: one captured 1-image edit billed 768 image input tokens (formula UNCONFIRMED);
# gpt-image-1 / 1.5: ≈135 at low input fidelity, ≈3050 at high (fal's pricing notes for its 1.5 edit).
_INPUT_TOKENS_V2 = 768
_INPUT_TOKENS_LOW_FIDELITY = 135
_INPUT_TOKENS_HIGH_FIDELITY = 3050
# Which input_fidelity each route uses by default: OpenAI's edits endpoint defaults to low, fal's
# gpt-image-1 edit and each::labs' v1.5 edit default to high, Replicate's gpt-image-1-mini defaults to low;
# gpt-image-1-mini has no high fidelity at all (OpenAI's edits reference).
_HIGH_FIDELITY_PROVIDERS = frozenset({"fal", "eachlabs"})

# OpenAI's rule of thumb for English text: about 4 characters per token.
_CHARS_PER_TOKEN = 4


# xhigh and max: OpenAI publishes no token counts for them. A third-party measurement of 2.6 says "high and
# above cost the same as 2.5" (https://docs.laozhang.ai/en/api-capabilities/gpt-image-2-6, 2026-11-05)
# without numbers, so the estimate is a range from high's count up to this multiple of it (UNCONFIRMED).
_ABOVE_HIGH_FACTOR = {Quality.XHIGH: 2, Quality.MAX: 4}


def gpt_image_2_output_tokens(width: int, height: int, quality: Quality | str) -> int:
    """gpt-image-2 output tokens for one image at low, medium or high: the community formula
    reverse-engineered from OpenAI's calculator. It reproduces every published point (1024² high 7024,
    1536x1024 high 5488, 1792x1024 high 5063); OpenAI's own formula is UNCONFIRMED."""
    q = Quality(quality)
    if q is Quality.AUTO:
        raise BadInput("Output tokens for quality 'auto' are only known after the run.")
    if q not in (Quality.LOW, Quality.MEDIUM, Quality.HIGH):
        raise BadInput(f"gpt-image-2 has no quality {q.value!r}; it has low, medium, high and auto.")
    f = {Quality.LOW: 16, Quality.MEDIUM: 48, Quality.HIGH: 96}[q]
    long_side, short_side = max(width, height), min(width, height)
    s = (2 * f * short_side + long_side) // (2 * long_side)
    return -(-(f * s * (2_000_000 + width * height)) // 4_000_000)


def output_token_range(
    model: str, size: Size, quality: Quality | str, provider: str | None = None
) -> tuple[int, int] | None:
    """(fewest, most) output tokens of one image, or None when the model has no token table. The two are
    equal wherever the count is published or computed; xhigh and max give a range."""
    family = model_family(model, provider)
    q = Quality(quality)
    if q is Quality.AUTO:
        raise BadInput("Output tokens for quality 'auto' are only known after the run.")
    if family in _V2_FAMILIES:
        # 2.5 and 2.6 bill output by the same calculator as gpt-image-2 as far as anyone has published:
        # a measured 2.6 "high" came out below gpt-image-2's count (laozhang, above), so this errs high
        if q in _ABOVE_HIGH_FACTOR:
            high = gpt_image_2_output_tokens(size.width, size.height, Quality.HIGH)
            return high, high * _ABOVE_HIGH_FACTOR[q]
        n = gpt_image_2_output_tokens(size.width, size.height, q)
        return n, n
    if family in (GPT_IMAGE_1, GPT_IMAGE_15, GPT_IMAGE_1_MINI):
        if q in _ABOVE_HIGH_FACTOR:
            raise BadInput(f"{model} has no quality {q.value!r}; it has low, medium, high and auto.")
        table = _FIXED_OUTPUT_TOKENS.get(size)
        if table is not None:
            return table[q], table[q]
        # not a size these models make: scale the square's count by area (approximate)
        n = round(_FIXED_OUTPUT_TOKENS[Size(1024, 1024)][q] * size.pixels / 1024**2)
        return n, n
    return None


def output_tokens(model: str, size: Size, quality: Quality | str, provider: str | None = None) -> int | None:
    """Output tokens of one image (the most, where only a range is known), or None for an unknown model."""
    found = output_token_range(model, size, quality, provider)
    return None if found is None else found[1]


def _output_costs(
    family: str, rates: Rates, size: Size, q: Quality, priced_by_openai: bool
) -> tuple[float, float]:
    if family == GPT_IMAGE_1_MINI and priced_by_openai and size in _MINI_PER_IMAGE:
        price = _MINI_PER_IMAGE[size][q]
        return price, price
    lo, hi = output_token_range(family, size, q)
    return lo * rates.image_out / 1e6, hi * rates.image_out / 1e6


def _rates(provider: str, model: str, family: str) -> tuple[Rates, str, bool]:
    """(rates, words for the basis, whether these are OpenAI's own list prices)."""
    entry = find_model(provider, model)
    if entry is not None and entry.rates is not None:
        words = "your models.json rates" if entry.user_defined else f"{provider_label(provider)} rates"
        return entry.rates, words, False
    rates = OPENAI_RATES[family]
    if provider in ("openai", RESPONSES):
        return rates, "OpenAI list prices", True
    if provider == "fal" and family == GPT_IMAGE_2:
        return rates, "fal's quoted prices (OpenAI list)", True  # fal's gpt-image-2/edit page quotes them
    # Replicate, each::labs' older slugs and fal's other endpoints publish no token rates we could verify
    return rates, "approximate: OpenAI list prices", True


def provider_label(provider: str) -> str:
    return {"eachlabs": "each::labs", "openai": "OpenAI", "replicate": "Replicate", "fal": "fal"}.get(
        provider, provider
    )


def _quality(quality: Quality | str) -> Quality:
    try:
        return Quality(quality)
    except ValueError:
        choices = ", ".join(q.value for q in Quality)
        raise BadInput(f"Quality {quality!r} is not one of {choices}.") from None


def _tiers(family: str, q: Quality) -> list[Quality]:
    """The tiers "auto" can resolve to: what the model has, from low up to high (auto never picks the
    dearest tiers on its own, as far as published)."""
    if q is not Quality.AUTO:
        return [q]
    return [Quality.LOW, Quality.MEDIUM, Quality.HIGH]


def estimate(
    provider: str,
    model: str,
    size: Size | None,
    quality: Quality | str,
    n: int,
    *,
    input_images: list[Size] | tuple[Size, ...] = (),
    prompt_chars: int = 0,
    markup: bool = False,
    text_model: str = RESPONSES_TEXT_MODEL,
) -> CostEstimate:
    """The cost of one job before it runs. Quality or size "auto" give a range from the cheapest to the
    dearest outcome (the basis also names the medium-quality figure, what "auto" usually resolves to);
    xhigh and max give a range because their token counts are not published. A markup overlay is billed
    as one more input image."""
    if n < 1:
        raise BadInput(f"A job makes at least one image, not {n}.")
    q = _quality(quality)
    family = model_family(model, provider)
    if family is None:
        return CostEstimate(0.0, 0.0, f"no price table for model {model!r}")
    if q in _ABOVE_HIGH_FACTOR and family not in (GPT_IMAGE_25, GPT_IMAGE_26):
        raise BadInput(f"{model} has no quality {q.value!r}.")
    rates, label, openai_priced = _rates(provider, model, family)

    sizes = [size] if size is not None else list(STANDARD_SIZES)
    costs = [_output_costs(family, rates, s, qq, openai_priced) for s in sizes for qq in _tiers(family, q)]

    text_tokens = -(-max(0, prompt_chars) // _CHARS_PER_TOKEN)
    if family in _V2_FAMILIES:
        per_input = _INPUT_TOKENS_V2
    elif family != GPT_IMAGE_1_MINI and provider in _HIGH_FIDELITY_PROVIDERS:
        per_input = _INPUT_TOKENS_HIGH_FIDELITY
    else:
        per_input = _INPUT_TOKENS_LOW_FIDELITY
    images = len(input_images) + (1 if markup else 0)
    # Inputs are billed once per request: n images come from one request on every route we use.
    input_cost = (text_tokens * rates.text_in + images * per_input * rates.image_in) / 1e6

    low = input_cost + n * min(c[0] for c in costs)
    high = input_cost + n * max(c[1] for c in costs)
    parts = [f"{label} for {family}"]
    if provider == RESPONSES:
        mainline = _mainline_cost(
            text_model,
            text_tokens + _MAINLINE_OVERHEAD_IN + len(input_images) * _MAINLINE_IMAGE_TOKENS,
            _MAINLINE_OUT,
        )
        if mainline is None:
            parts.append(f"+ {text_model}'s tokens for calling the image tool (no price known for it)")
        else:
            low, high = low + mainline, high + mainline
            parts.append(f"+ ≈${mainline:.4f} for {text_model}, which calls the image tool")
    if q is Quality.AUTO:
        typical = size or Size(1024, 1024)
        medium = input_cost + n * _output_costs(family, rates, typical, Quality.MEDIUM, openai_priced)[1]
        parts.append(f"quality auto: low…high, medium ≈ ${medium:.3f}")
    if q in _ABOVE_HIGH_FACTOR:
        parts.append(
            f"quality {q.value}: token count not published, estimated at 1–{_ABOVE_HIGH_FACTOR[q]}× high's"
        )
    if family in (GPT_IMAGE_25, GPT_IMAGE_26):
        parts.append("output tokens by gpt-image-2's formula (approximate)")
    if size is None:
        parts.append("size auto: any of " + ", ".join(str(s) for s in STANDARD_SIZES))
    if images:
        parts.append(f"{images} input image(s) ≈{per_input} tokens each (approximate)")
    return CostEstimate(round(low, 6), round(high, 6), "; ".join(parts))


def actual(
    provider: str,
    model: str,
    *,
    usage: Usage | None,
    reported_cost: float | None,
    n: int,
    size: Size | None,
    quality: Quality | str,
) -> float | None:
    """What a finished job cost: the provider's own figure when it reports one (each::labs' metrics.cost),
    else the usage tokens × the rates, else — when size and quality are both known and the count is
    published — the output tokens × the output rate (input not included). None when none of these is known."""
    if reported_cost is not None and reported_cost >= 0:
        return float(reported_cost)
    family = model_family(model, provider)
    if family is None:
        return None
    rates, _label, openai_priced = _rates(provider, model, family)
    if usage is not None and (usage.input_text_tokens or usage.input_image_tokens or usage.output_tokens):
        # output priced by kind: text output tokens at the text rate where one is published
        text_out = min(usage.output_text_tokens, usage.output_tokens)
        total = (
            usage.input_text_tokens * rates.text_in
            + usage.input_image_tokens * rates.image_in
            + (usage.output_tokens - text_out) * rates.image_out
            + text_out * (rates.text_out if rates.text_out is not None else rates.image_out)
        )
        return round(total / 1e6, 6)
    q = _quality(quality)
    if size is None or q is Quality.AUTO or q in _ABOVE_HIGH_FACTOR or n < 1:
        return None
    lo, hi = _output_costs(family, rates, size, q, openai_priced)
    return round(n * hi, 6) if lo == hi else None


def _mainline_cost(model: str, tokens_in: int, tokens_out: int) -> float | None:
    m = (model or "").strip().lower()
    for prefix in sorted(MAINLINE_RATES, key=len, reverse=True):
        if m.startswith(prefix):
            rate_in, rate_out = MAINLINE_RATES[prefix]
            return (tokens_in * rate_in + tokens_out * rate_out) / 1e6
    return None


def responses_cost(
    mainline: str,
    reported_mainline: str,
    image_model: str,
    *,
    usage,
    size: Size | None,
    quality: Quality | None,
    images: int,
    input_images: int = 1,
) -> float | None:
    """What an edit through the Responses API cost: the mainline model's tokens from the response's own
    `usage`, plus the image tool at the image model's rates. The tool's own token counts are not in the
    response, so its part is priced from the size and quality it reports making (input pictures at the
    same approximate per-image figure the estimate uses; where only a range of output tokens is known, its
    top). None when nothing is known."""
    family = model_family(image_model, RESPONSES)
    if family is None or size is None or images < 1:
        return None
    rates = OPENAI_RATES[family]
    q = quality if quality is not None and quality is not Quality.AUTO else Quality.MEDIUM
    tool = images * _output_costs(family, rates, size, q, True)[1]
    per_input = _INPUT_TOKENS_V2 if family in _V2_FAMILIES else _INPUT_TOKENS_LOW_FIDELITY
    tool += input_images * per_input * rates.image_in / 1e6
    text = 0.0
    if isinstance(usage, dict):

        def num(v) -> int:
            return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0

        text = (
            _mainline_cost(
                reported_mainline or mainline, num(usage.get("input_tokens")), num(usage.get("output_tokens"))
            )
            or 0.0
        )
    return round(tool + text, 6)
