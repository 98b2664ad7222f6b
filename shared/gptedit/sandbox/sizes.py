"""Output-size rules the real services enforce, written independently of the core's geometry module so
the sandbox checks the client instead of agreeing with it by construction."""

from __future__ import annotations

import re

#: every model with gpt-image-2's custom sizes (2.5 and 2.6 kept them)
GPT_IMAGE_2_MODELS = (
    "gpt-image-2",
    "gpt-image-2-2026-04-21",
    "gpt-image-2.5",
    "gpt-image-2.6",
    "gpt-image-2.5-flare",
    "gpt-image-2.5-sunburst",
    "gpt-image-2.5-flare-2026-09-08",
    "gpt-image-2.5-sunburst-2026-09-08",
    "gpt-image-2.6-flare",
    "gpt-image-2.6-sunburst",
)
#: the fixed sizes of gpt-image-1, -1-mini, -1.5 and chatgpt-image-latest
STANDARD_SIZES = ((1024, 1024), (1536, 1024), (1024, 1536))
DALLE2_SIZES = ((256, 256), (512, 512), (1024, 1024))

# gpt-image-2 limits, community-derived from OpenAI's calculator (docs/providers.md "OpenAI: request fields",
# [O4])
GPT2_STEP = 16
GPT2_MAX_EDGE = 3840
GPT2_MAX_RATIO = 3.0
GPT2_MIN_PIXELS = 655_360
GPT2_MAX_PIXELS = 8_294_400

_SIZE = re.compile(r"^(\d{1,5})x(\d{1,5})$")


class SizeProblem(ValueError):
    pass


def parse(text: str) -> tuple[int, int] | None:
    """'1024x1536' → (1024, 1536); 'auto' → None."""
    if text == "auto":
        return None
    m = _SIZE.match(text or "")
    if not m:
        raise SizeProblem(f"Invalid size {text!r}: expected 'auto' or WIDTHxHEIGHT such as '1024x1536'.")
    return int(m.group(1)), int(m.group(2))


def gpt_image_2_problem(width: int, height: int) -> str | None:
    """Why (width, height) is not a valid gpt-image-2 output size, or None if it is."""
    if width <= 0 or height <= 0:
        return "width and height must be positive"
    if width % GPT2_STEP or height % GPT2_STEP:
        return f"width and height must both be multiples of {GPT2_STEP}"
    if max(width, height) > GPT2_MAX_EDGE:
        return f"the longest edge must be at most {GPT2_MAX_EDGE} pixels"
    if max(width, height) / min(width, height) > GPT2_MAX_RATIO:
        return "the aspect ratio must be between 1:3 and 3:1"
    pixels = width * height
    if not GPT2_MIN_PIXELS <= pixels <= GPT2_MAX_PIXELS:
        return f"the pixel count must be between {GPT2_MIN_PIXELS} and {GPT2_MAX_PIXELS} (got {pixels})"
    return None


def check_for_model(model: str, text: str) -> tuple[int, int] | None:
    """Parse and validate an OpenAI-style size for `model`; raise SizeProblem with the reason."""
    size = parse(text)
    if size is None:
        if model == "dall-e-2":
            raise SizeProblem("Invalid size 'auto' for dall-e-2: use 256x256, 512x512 or 1024x1024.")
        return None
    if model in GPT_IMAGE_2_MODELS:
        problem = gpt_image_2_problem(*size)
        if problem:
            raise SizeProblem(f"Invalid size '{text}' for {model}: {problem}.")
        return size
    allowed = DALLE2_SIZES if model == "dall-e-2" else STANDARD_SIZES
    if size not in allowed:
        names = ", ".join(f"{w}x{h}" for w, h in allowed)
        raise SizeProblem(f"Invalid size '{text}'. Supported sizes are {names} and auto.")
    return size
