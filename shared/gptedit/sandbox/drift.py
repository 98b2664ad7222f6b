"""Answers that drift like real ones: the model also changes what it was asked to keep.

Public reports on GPT Image and other edit models describe masks treated as a hint (OpenAI's image guide:
masking with GPT Image is prompt-based) and answers that come back shifted by a few pixels, slightly
zoomed, darker or tinted, softer and noisier (for example
https://github.com/Acly/krita-ai-diffusion/issues/2326 "a slight yellow tint",
https://github.com/QwenLM/Qwen-Image/issues/229 pixel shift and zoom).
Drift is applied to the whole answer after the requested edit, so inside the selection the edit shows and
outside it the drift does. Deterministic for a seed: tests and the benchmark compare numbers.

Switched on per job by the `drift` option (`POST /_sandbox/config` {"drift": {"strength": 1, "seed": 3}})
or by a prompt tag: `[drift]`, `[drift:0.5]` (strength), `[drift:0.5:7]` (strength and seed)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from PIL import Image, ImageFilter

_TAG = re.compile(r"\[drift(?::(\d*\.?\d+))?(?::(\d+))?\]", re.IGNORECASE)

#: the largest drift at strength 1 (answers at about 1024 px)
MAX_SHIFT_PX = 3.0
MAX_ZOOM = 0.03
MAX_GAIN = 0.08
MAX_OFFSET = 8.0
MAX_GAMMA = 0.12
BLUR_RADIUS = 0.5
NOISE_SIGMA = 2.0


@dataclass(frozen=True)
class Drift:
    """One answer's drift. Geometry: content at continuous position q of the edited picture shows at
    centre + zoom·(q − centre) + (dx, dy) in the answer (pixels of the answer)."""

    dx: float = 0.0
    dy: float = 0.0
    zoom: float = 1.0
    gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    gamma: tuple[float, float, float] = (1.0, 1.0, 1.0)
    blur: float = 0.0
    noise: float = 0.0
    seed: int = 0

    def table(self, k: int) -> list[int]:
        g, o, gm = self.gain[k], self.offset[k], self.gamma[k]
        return [min(255, max(0, round(255.0 * (v / 255.0) ** gm * g + o))) for v in range(256)]


@dataclass(frozen=True)
class DriftSpec:
    strength: float = 1.0
    seed: int = 0


def parse_option(value) -> DriftSpec | None:
    """The config option: None/False = off, True = strength 1 seed 0, or {"strength": s, "seed": n}."""
    if value is None or value is False:
        return None
    if value is True:
        return DriftSpec()
    return DriftSpec(float(value.get("strength", 1.0)), int(value.get("seed", 0)))


def choose_drift(prompt: str, option) -> DriftSpec | None:
    m = _TAG.search(prompt or "")
    if m:
        return DriftSpec(float(m.group(1)) if m.group(1) else 1.0, int(m.group(2)) if m.group(2) else 0)
    return parse_option(option)


def draw(spec: DriftSpec, index: int = 0) -> Drift:
    """The drift for variation `index` of a job: every quantity at between half and all of its maximum
    times the strength, with a random sign."""
    rnd = random.Random(spec.seed * 1000 + index)
    s = spec.strength

    def amount(top: float) -> float:
        return s * top * rnd.uniform(0.5, 1.0) * rnd.choice((-1.0, 1.0))

    return Drift(
        dx=amount(MAX_SHIFT_PX),
        dy=amount(MAX_SHIFT_PX),
        zoom=1.0 + amount(MAX_ZOOM),
        gain=tuple(1.0 + amount(MAX_GAIN) for _ in range(3)),
        offset=tuple(amount(MAX_OFFSET) for _ in range(3)),
        gamma=tuple(1.0 + amount(MAX_GAMMA) for _ in range(3)),
        blur=s * BLUR_RADIUS,
        noise=s * NOISE_SIGMA,
        seed=spec.seed * 1000 + index,
    )


def _extended(img: Image.Image, margin: int) -> Image.Image:
    """`img` with its border pixels repeated `margin` pixels outward (so a zoom-out has no black edges)."""
    w, h = img.size
    out = Image.new(img.mode, (w + 2 * margin, h + 2 * margin))
    out.paste(img.resize((w + 2 * margin, h + 2 * margin), Image.Resampling.NEAREST), (0, 0))
    out.paste(img, (margin, margin))
    out.paste(img.crop((0, 0, w, 1)).resize((w, margin)), (margin, 0))
    out.paste(img.crop((0, h - 1, w, h)).resize((w, margin)), (margin, h + margin))
    out.paste(img.crop((0, 0, 1, h)).resize((margin, h)), (0, margin))
    out.paste(img.crop((w - 1, 0, w, h)).resize((margin, h)), (w + margin, margin))
    return out


def geometry(img: Image.Image, drift: Drift) -> Image.Image:
    """Shift and zoom only (bicubic), same size."""
    if drift.dx == 0 and drift.dy == 0 and drift.zoom == 1.0:
        return img
    w, h = img.size
    margin = int(abs(drift.dx) + abs(drift.dy) + abs(drift.zoom - 1.0) * max(w, h)) + 4
    src = _extended(img, margin)
    cx, cy = w / 2.0, h / 2.0
    z = drift.zoom
    # answer position p → edited-picture position q = c + (p − c − d) / z, then + margin in `src`
    data = (1 / z, 0.0, cx - (cx + drift.dx) / z + margin, 0.0, 1 / z, cy - (cy + drift.dy) / z + margin)
    return src.transform((w, h), Image.Transform.AFFINE, data, Image.Resampling.BICUBIC)


def _noise(size: tuple[int, int], sigma: float, seed: int) -> Image.Image:
    """Grey noise around 128 (sum of two uniforms, a triangle close enough to Gaussian), `sigma` levels."""
    n = size[0] * size[1]
    rnd = random.Random(seed)
    a = Image.frombytes("L", size, rnd.randbytes(n))
    b = Image.frombytes("L", size, rnd.randbytes(n))
    # (a + b) / 2 has standard deviation 255/sqrt(24) ≈ 52 around 127.5
    tri = Image.blend(a, b, 0.5)
    k = sigma / 52.05
    return tri.point([min(255, max(0, round(128 + (v - 127.5) * k))) for v in range(256)])


def apply(img: Image.Image, drift: Drift) -> Image.Image:
    """The drifted answer: geometry, tone, blur, then noise on R, G, B (alpha kept)."""
    out = geometry(img.convert("RGBA"), drift)
    alpha = out.getchannel("A")
    rgb = out.convert("RGB").point(drift.table(0) + drift.table(1) + drift.table(2))
    if drift.blur > 0:
        rgb = rgb.filter(ImageFilter.GaussianBlur(drift.blur))
    if drift.noise > 0:
        from PIL import ImageChops

        chans = [
            ImageChops.add(c, _noise(img.size, drift.noise, drift.seed + 17 * k), 1.0, -128)
            for k, c in enumerate(rgb.split())
        ]
        rgb = Image.merge("RGB", chans)
    rgb.putalpha(alpha)
    return rgb
