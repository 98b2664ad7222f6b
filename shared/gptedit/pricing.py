"""What an edit will cost before it runs, and what it did cost after.

All money is US dollars; all rates are per 1,000,000 tokens. Sources are the tags listed under "Sources"
in docs/providers.md ([O8] = a captured gpt-image-2 response, [E10] = each::labs' gpt-image-v2 skill, …)
or the OpenAI model page named next to the number; docs/providers.md "Pricing" sums them up.

How a GPT-image edit is billed (OpenAI, [O8]): text input tokens (the prompt) + image input tokens (the
pictures sent) at input rates, plus image output tokens at the output rate. Output tokens depend only on
the output size and quality, so they are known before the run — except with quality or size "auto",
where the estimate becomes a range. Input image tokens are not published per size for these models:
they are approximations, and every estimate says so in its `basis`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import BadInput
from .models import CostEstimate, Quality, Size, Usage
from .sizes import STANDARD_SIZES

GPT_IMAGE_2 = "gpt-image-2"
GPT_IMAGE_15 = "gpt-image-1.5"
GPT_IMAGE_1 = "gpt-image-1"
GPT_IMAGE_1_MINI = "gpt-image-1-mini"

# Provider model ids → the OpenAI model underneath, for the ids in catalog.py and the documented aliases
# (the "model inputs" and "request fields" sections of docs/providers.md). Order matters: "mini" and "1.5"
# before plain "1".
_FAMILIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"gpt-image-1-mini"), GPT_IMAGE_1_MINI),
    (re.compile(r"gpt-image-(?:1\.5|1-5|v1-5)(?![\d.])"), GPT_IMAGE_15),
    (re.compile(r"gpt-image-v?2(?![\d.])"), GPT_IMAGE_2),  # also gpt-image-2-2026-04-21, gpt-image-v2-edit
    (re.compile(r"gpt-image-v?1(?![\d.]|-5)"), GPT_IMAGE_1),
    (re.compile(r"^openai-image-edit$"), GPT_IMAGE_1),  # each::labs' "GPT-1 Image Edit" [E15]
)


def model_family(model: str) -> str | None:
    """The OpenAI model a provider's model id runs, or None when we have no price table for it."""
    m = (model or "").strip().lower()
    for pattern, family in _FAMILIES:
        if pattern.search(m):
            return family
    return None


@dataclass(frozen=True)
class Rates:
    """USD per 1M tokens."""

    text_in: float
    image_in: float
    image_out: float


# OpenAI list prices.
OPENAI_RATES: dict[str, Rates] = {
    # text in $5, image in $8, image out $30 — docs/providers.md "Pricing", quoted by fal from OpenAI [O11]
    # and cited in [O8]
    GPT_IMAGE_2: Rates(5.00, 8.00, 30.00),
    # image out $32 — docs/providers.md "Pricing" [O11-fal-1.5]; the input rates are not published:
    # assumed equal to gpt-image-2's (text $5, image $8) — UNCONFIRMED
    GPT_IMAGE_15: Rates(5.00, 8.00, 32.00),
    # text in $5, image in $10, image out $40 — docs/providers.md "Pricing" [O6] and OpenAI's gpt-image-1
    # model page
    GPT_IMAGE_1: Rates(5.00, 10.00, 40.00),
    # text in $2, image in $2.50, image out $8 — docs/providers.md "Pricing" and OpenAI's gpt-image-1-mini
    # model page
    GPT_IMAGE_1_MINI: Rates(2.00, 2.50, 8.00),
}

# each::labs' own rates for both gpt-image-v2 slugs [E10]: text in $5, image in $10, image out $30 (their
# text output rate, $40, never applies: an edit returns no text). They bill the amount in metrics.cost [E4].
EACHLABS_V2_RATES = Rates(5.00, 10.00, 30.00)

# gpt-image-1 / 1.5 output tokens per image, same table for both [O6] (docs/providers.md "Pricing"). It
# matches OpenAI's per-image prices exactly: 4160 tokens × $40/M = $0.166 for gpt-image-1 high 1024².
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
# gpt-image-2: one captured 1-image edit billed 768 image input tokens [O8] (formula UNCONFIRMED);
# gpt-image-1 / 1.5: ≈135 at low input fidelity, ≈3050 at high (fal's pricing notes [F5][O11-fal-1.5]).
_INPUT_TOKENS_V2 = 768
_INPUT_TOKENS_LOW_FIDELITY = 135
_INPUT_TOKENS_HIGH_FIDELITY = 3050
# Which input_fidelity each route uses by default: OpenAI's edits endpoint defaults to low (docs/providers.md
# "OpenAI: request fields"), fal's gpt-image-1 edit and each::labs' v1.5 edit default to high
# ([F5], [E11]), Replicate's gpt-image-1-mini defaults to low [R6].
# gpt-image-1-mini has no high fidelity at all (docs/providers.md "OpenAI: request fields").
_HIGH_FIDELITY_PROVIDERS = frozenset({"fal", "eachlabs"})

# OpenAI's rule of thumb for English text: about 4 characters per token.
_CHARS_PER_TOKEN = 4


def gpt_image_2_output_tokens(width: int, height: int, quality: Quality | str) -> int:
    """gpt-image-2 output tokens for one image: the community formula reverse-engineered from OpenAI's
    calculator [O4] (docs/providers.md "Pricing"). It reproduces every published point (1024² high 7024,
    1536x1024 high 5488, 1792x1024 high 5063 [O5]); OpenAI's own formula is UNCONFIRMED."""
    q = Quality(quality)
    if q is Quality.AUTO:
        raise BadInput("Output tokens for quality 'auto' are only known after the run.")
    f = {Quality.LOW: 16, Quality.MEDIUM: 48, Quality.HIGH: 96}[q]
    long_side, short_side = max(width, height), min(width, height)
    s = (2 * f * short_side + long_side) // (2 * long_side)
    return -(-(f * s * (2_000_000 + width * height)) // 4_000_000)


def output_tokens(model: str, size: Size, quality: Quality | str) -> int | None:
    """Output tokens of one image, or None when the model has no token table (unknown model)."""
    family = model_family(model)
    q = Quality(quality)
    if family == GPT_IMAGE_2:
        return gpt_image_2_output_tokens(size.width, size.height, q)
    if family in (GPT_IMAGE_1, GPT_IMAGE_15, GPT_IMAGE_1_MINI):
        table = _FIXED_OUTPUT_TOKENS.get(size)
        if table is not None:
            return table[q]
        # not a size these models make: scale the square's count by area (approximate)
        return round(_FIXED_OUTPUT_TOKENS[Size(1024, 1024)][q] * size.pixels / 1024**2)
    return None


def _output_cost(family: str, rates: Rates, size: Size, q: Quality, priced_by_openai: bool) -> float:
    if family == GPT_IMAGE_1_MINI and priced_by_openai and size in _MINI_PER_IMAGE:
        return _MINI_PER_IMAGE[size][q]
    return output_tokens(family, size, q) * rates.image_out / 1e6


def _rates(provider: str, family: str) -> tuple[Rates, str, bool]:
    """(rates, words for the basis, whether these are OpenAI's own list prices)."""
    if provider == "eachlabs" and family == GPT_IMAGE_2:
        return EACHLABS_V2_RATES, "each::labs rates", False
    rates = OPENAI_RATES[family]
    if provider == "openai":
        return rates, "OpenAI list prices", True
    if provider == "fal" and family == GPT_IMAGE_2:
        return rates, "fal's quoted prices (OpenAI list)", True  # [F6][O11]
    # Replicate, each::labs' older slugs and fal's older endpoints publish no token rates we could verify
    return rates, "approximate: OpenAI list prices", True


def _quality(quality: Quality | str) -> Quality:
    try:
        return Quality(quality)
    except ValueError:
        raise BadInput(f"Quality {quality!r} is not one of low, medium, high or auto.") from None


def estimate(
    provider: str,
    model: str,
    size: Size | None,
    quality: Quality | str,
    n: int,
    *,
    input_images: list[Size] | tuple[Size, ...] = (),
    prompt_chars: int = 0,
) -> CostEstimate:
    """The cost of one job before it runs. Quality or size "auto" give a range from the cheapest to the
    dearest outcome (the basis also names the medium-quality figure, what "auto" usually resolves to [O8])."""
    if n < 1:
        raise BadInput(f"A job makes at least one image, not {n}.")
    q = _quality(quality)
    family = model_family(model)
    if family is None:
        return CostEstimate(0.0, 0.0, f"no price table for model {model!r}")
    rates, label, openai_priced = _rates(provider, family)

    sizes = [size] if size is not None else list(STANDARD_SIZES)
    qualities = [Quality.LOW, Quality.MEDIUM, Quality.HIGH] if q is Quality.AUTO else [q]
    per_image = [_output_cost(family, rates, s, qq, openai_priced) for s in sizes for qq in qualities]

    text_tokens = -(-max(0, prompt_chars) // _CHARS_PER_TOKEN)
    if family == GPT_IMAGE_2:
        lo_tok = hi_tok = _INPUT_TOKENS_V2
    elif family != GPT_IMAGE_1_MINI and provider in _HIGH_FIDELITY_PROVIDERS:
        lo_tok = hi_tok = _INPUT_TOKENS_HIGH_FIDELITY
    else:
        lo_tok = hi_tok = _INPUT_TOKENS_LOW_FIDELITY
    images = len(input_images)
    # Inputs are billed once per request: n images come from one request on every route we use.
    input_low = (text_tokens * rates.text_in + images * lo_tok * rates.image_in) / 1e6
    input_high = (text_tokens * rates.text_in + images * hi_tok * rates.image_in) / 1e6

    low = input_low + n * min(per_image)
    high = input_high + n * max(per_image)
    parts = [f"{label} for {family}"]
    if q is Quality.AUTO:
        typical = size or Size(1024, 1024)
        medium = input_low + n * _output_cost(family, rates, typical, Quality.MEDIUM, openai_priced)
        parts.append(f"quality auto: low…high, medium ≈ ${medium:.3f}")
    if size is None:
        parts.append("size auto: any of " + ", ".join(str(s) for s in STANDARD_SIZES))
    if images:
        parts.append(f"{images} input image(s) ≈{lo_tok} tokens each (approximate)")
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
    else the usage tokens × the rates, else — when size and quality are both known — the output tokens ×
    the output rate (input not included). None when none of these is known."""
    if reported_cost is not None and reported_cost >= 0:
        return float(reported_cost)
    family = model_family(model)
    if family is None:
        return None
    rates, _label, openai_priced = _rates(provider, family)
    if usage is not None and (usage.input_text_tokens or usage.input_image_tokens or usage.output_tokens):
        total = (
            usage.input_text_tokens * rates.text_in
            + usage.input_image_tokens * rates.image_in
            + usage.output_tokens * rates.image_out
        )
        return round(total / 1e6, 6)
    q = _quality(quality)
    if size is None or q is Quality.AUTO or n < 1:
        return None
    return round(n * _output_cost(family, rates, size, q, openai_priced), 6)
