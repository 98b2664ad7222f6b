"""Token usage and money, as the real services would report them for the sandbox's outputs.

Output tokens follow docs/providers.md "Pricing": the community formula for gpt-image-2 (it reproduces every
published data point) and the fixed table for gpt-image-1 / 1.5 / 1-mini. Input image tokens are not
published for gpt-image-2; the classic 512-px tile count (85 + 170 per tile) gives 765 for a 1024² image,
next to the 768 seen in a real capture, which is close enough for a test double."""

from __future__ import annotations

import math

from .sizes import GPT_IMAGE_2_MODELS

_QUALITY_FACTOR = {"low": 16, "medium": 48, "high": 96}
#: xhigh and max have no published counts; the sandbox bills them as 2x and 4x high (a test double only)
_ABOVE_HIGH = {"xhigh": 2, "max": 4}

#: gpt-image-1, -1.5 and -1-mini output tokens per image [O6]
_FIXED_TABLE = {
    (1024, 1024): {"low": 272, "medium": 1056, "high": 4160},
    (1024, 1536): {"low": 408, "medium": 1584, "high": 6240},
    (1536, 1024): {"low": 400, "medium": 1568, "high": 6208},
}

# per 1M tokens, USD
OPENAI_GPT2_PRICES = {"text_in": 5.00, "image_in": 8.00, "image_out": 30.00}
EACHLABS_GPT2_PRICES = {"text_in": 5.00, "image_in": 10.00, "image_out": 30.00}


def resolve_quality(quality: str | None) -> str:
    """`auto` is billed as medium in the one real capture we have [O8]; `standard` is dall-e-2's word."""
    return quality if quality in _QUALITY_FACTOR else "medium"


def gpt_image_2_output_tokens(width: int, height: int, quality: str) -> int:
    if quality in _ABOVE_HIGH:
        return _ABOVE_HIGH[quality] * gpt_image_2_output_tokens(width, height, "high")
    f = _QUALITY_FACTOR[resolve_quality(quality)]
    long_edge, short_edge = max(width, height), min(width, height)
    s = (2 * f * short_edge + long_edge) // (2 * long_edge)
    return math.ceil(f * s * (2_000_000 + width * height) / 4_000_000)


def output_tokens(model: str, width: int, height: int, quality: str) -> int:
    if quality in _ABOVE_HIGH:
        return gpt_image_2_output_tokens(width, height, quality)
    q = resolve_quality(quality)
    if model not in GPT_IMAGE_2_MODELS:
        row = _FIXED_TABLE.get((width, height))
        if row:
            return row[q]
    return gpt_image_2_output_tokens(width, height, q)


def image_input_tokens(width: int, height: int) -> int:
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)


def text_tokens(prompt: str) -> int:
    return max(1, math.ceil(len(prompt or "") / 4))


def usage(
    model: str,
    prompt: str,
    input_sizes: list[tuple[int, int]],
    out_size: tuple[int, int],
    quality: str,
    n: int,
) -> dict:
    """The OpenAI `usage` object ([O2] ImageGenUsage)."""
    text_in = text_tokens(prompt)
    image_in = sum(image_input_tokens(w, h) for w, h in input_sizes)
    out = output_tokens(model, out_size[0], out_size[1], quality) * n
    return {
        "input_tokens": text_in + image_in,
        "input_tokens_details": {"image_tokens": image_in, "text_tokens": text_in},
        "output_tokens": out,
        "output_tokens_details": {"image_tokens": out, "text_tokens": 0},
        "total_tokens": text_in + image_in + out,
    }


def cost(usage_obj: dict, prices: dict[str, float]) -> float:
    details = usage_obj["input_tokens_details"]
    dollars = (
        details["text_tokens"] * prices["text_in"]
        + details["image_tokens"] * prices["image_in"]
        + usage_obj["output_tokens"] * prices["image_out"]
    ) / 1_000_000
    return round(dollars, 6)
