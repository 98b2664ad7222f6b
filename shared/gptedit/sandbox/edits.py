"""Deterministic stand-ins for the model's edit, so tests can check pixels end to end.

A token in the prompt picks the edit, else the sandbox's `edit` option:
- `[identity]` returns the first input image unchanged (after the resize below, if a size was asked);
- `[invert]` inverts R, G and B (never alpha) where the mask marks the edit area, or everywhere;
- `[tint]` blends R, G and B toward a colour derived from the prompt's hash, inside the edit area.
The mask follows OpenAI's convention: pixels whose alpha is exactly 0 may be edited. A spec can ask for
the other reading some services document instead, by brightness: white (grey level 128 and up, alpha
ignored) may be edited, black is kept.
A markup overlay, when sent, is then painted in: every pixel the user drew on takes the stroke's colour
(`paint_markup`).

With drift switched on (`drift.py`: the `drift` option or a `[drift]` tag) each answer is then shifted,
zoomed, recoloured, blurred and given noise as a whole, the way real edit models treat what they were asked
to keep.

When a size is requested the first image is stretched to it with `RESAMPLE` *before* the edit (and the
mask with nearest-neighbour), so a test can compute the expected pixels with the same two calls."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from PIL import Image

from .drift import DriftSpec, draw
from .drift import apply as apply_drift

RESAMPLE = Image.Resampling.LANCZOS
MASK_RESAMPLE = Image.Resampling.NEAREST

_EDIT_TOKEN = re.compile(r"\[(identity|invert|tint)\]", re.IGNORECASE)

_FORMATS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp", "GIF": "gif"}
MIMES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
EXTENSIONS = {"png": "png", "jpeg": "jpg", "webp": "webp", "gif": "gif"}


class ImageProblem(ValueError):
    """Bytes that are not a whole image in a format we read."""


@dataclass(frozen=True)
class ImageInfo:
    format: str  # png | jpeg | webp | gif
    width: int
    height: int
    has_alpha: bool
    size_bytes: int

    def describe(self) -> dict:
        return {
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "has_alpha": self.has_alpha,
            "bytes": self.size_bytes,
        }


def _open(data: bytes) -> Image.Image:
    try:
        img = Image.open(io.BytesIO(data))
        img.load()  # decode now: a truncated upload must fail here, not later
    except Exception as exc:  # Pillow raises many kinds (OSError, SyntaxError, DecompressionBombError …)
        raise ImageProblem(f"not a readable image ({exc})") from exc
    return img


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in img.info


def inspect(data: bytes) -> ImageInfo:
    img = _open(data)
    fmt = _FORMATS.get(img.format or "")
    if fmt is None:
        raise ImageProblem(f"unsupported image format {img.format or 'unknown'}")
    return ImageInfo(fmt, img.width, img.height, _has_alpha(img), len(data))


def choose_edit(prompt: str, default: str) -> str:
    m = _EDIT_TOKEN.search(prompt or "")
    return m.group(1).lower() if m else default


def tint_colour(prompt: str) -> tuple[int, int, int]:
    digest = hashlib.sha256((prompt or "").encode("utf-8")).digest()
    return digest[0], digest[1], digest[2]


def tint_strength(index: int) -> float:
    """Variation i of a tint is a little stronger than variation i-1, so variations differ."""
    return min(0.5 + 0.1 * index, 0.9)


@dataclass
class EditSpec:
    prompt: str
    edit: str
    size: tuple[int, int] | None = None  # None = the first input's size ("auto")
    output_format: str = "png"
    background: str = "auto"  # auto | opaque | transparent
    n: int = 1
    compression: int | None = None  # 0..100 for jpeg/webp; None = the encoder's best
    mask_reading: str = "alpha"  # alpha | brightness
    #: realistic drift on top of the edit (drift.py); set from the prompt tag or the config per job
    drift: DriftSpec | None = None
    #: a markup overlay (PNG, the first image's size): where it is drawn, the result takes its colour
    markup: bytes | None = None


@dataclass
class Rendered:
    data: bytes
    format: str
    width: int
    height: int

    @property
    def mime(self) -> str:
        return MIMES[self.format]

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def _base(spec: EditSpec, images: list[bytes]) -> tuple[Image.Image, bool]:
    if not images:  # text-to-image (Replicate allows no input images): a flat grey canvas
        size = spec.size or (1024, 1024)
        return Image.new("RGBA", size, (128, 128, 128, 255)), False
    src = _open(images[0])
    alpha = _has_alpha(src)
    img = src.convert("RGBA")
    if spec.size and img.size != spec.size:
        img = img.resize(spec.size, RESAMPLE)
    return img, alpha


def edit_area(mask: bytes, size: tuple[int, int], reading: str = "alpha") -> Image.Image:
    """'L' image, 255 where the model may edit: mask alpha == 0, or (reading by brightness) a grey level
    of at least 128 with alpha ignored."""
    m = _open(mask).convert("RGBA")
    if m.size != size:
        m = m.resize(size, MASK_RESAMPLE)
    if reading == "brightness":
        return m.convert("RGB").convert("L").point(lambda v: 255 if v >= 128 else 0)
    return m.getchannel("A").point(lambda a: 255 if a == 0 else 0)


_INVERT_RGB = [255 - v for v in range(256)] * 3 + list(range(256))


def apply_edit(
    base: Image.Image, edit: str, prompt: str, index: int, area: Image.Image | None
) -> Image.Image:
    if edit == "identity":
        return base.copy()
    if edit == "invert":
        edited = base.point(_INVERT_RGB)
    else:
        colour = Image.new("RGB", base.size, tint_colour(prompt))
        edited = Image.blend(base.convert("RGB"), colour, tint_strength(index))
        edited.putalpha(base.getchannel("A"))
    return edited if area is None else Image.composite(edited, base, area)


def paint_markup(img: Image.Image, markup: bytes | None) -> Image.Image:
    """The sandbox's markup edit: every pixel the user drew on (overlay alpha > 0) is painted with the
    overlay's own colour, fully opaque; the rest is left as the edit made it. A test predicts the result
    from the overlay alone. The overlay is scaled like a mask (nearest) when a size was asked."""
    if markup is None:
        return img
    m = _open(markup).convert("RGBA")
    if m.size != img.size:
        m = m.resize(img.size, MASK_RESAMPLE)
    drawn = m.getchannel("A").point(lambda a: 255 if a > 0 else 0)
    paint = m.copy()
    paint.putalpha(255)
    return Image.composite(paint, img, drawn)


def encode(img: Image.Image, spec: EditSpec, source_has_alpha: bool) -> Rendered:
    fmt = spec.output_format
    keep_alpha = fmt != "jpeg" and (
        spec.background == "transparent" or (spec.background == "auto" and source_has_alpha)
    )
    out = img if keep_alpha else img.convert("RGB")
    buf = io.BytesIO()
    # fast encoder settings: the sandbox renders big images on every run of the test suite
    if fmt == "png":
        out.save(buf, "PNG", compress_level=1)
    elif fmt == "jpeg":
        out.save(buf, "JPEG", quality=spec.compression if spec.compression is not None else 95)
    elif fmt == "webp":
        out.save(buf, "WEBP", quality=spec.compression if spec.compression is not None else 90, method=0)
    else:
        raise ImageProblem(f"cannot encode {fmt}")
    return Rendered(buf.getvalue(), fmt, out.width, out.height)


def _drifted(img: Image.Image, spec: EditSpec, index: int) -> Image.Image:
    return img if spec.drift is None else apply_drift(img, draw(spec.drift, index))


def render(spec: EditSpec, images: list[bytes], mask: bytes | None = None) -> list[Rendered]:
    base, alpha = _base(spec, images)
    area = edit_area(mask, base.size, spec.mask_reading) if mask else None
    return [
        encode(
            _drifted(paint_markup(apply_edit(base, spec.edit, spec.prompt, i, area), spec.markup), spec, i),
            spec,
            alpha,
        )
        for i in range(spec.n)
    ]


def render_partials(
    spec: EditSpec, images: list[bytes], mask: bytes | None, count: int, index: int = 0
) -> list[Rendered]:
    """Previews on the way from the input to variation `index`: partial k is (k+1)/(count+1) of it."""
    base, alpha = _base(spec, images)
    area = edit_area(mask, base.size, spec.mask_reading) if mask else None
    final = apply_edit(base, spec.edit, spec.prompt, index, area)
    return [encode(Image.blend(base, final, (k + 1) / (count + 1)), spec, alpha) for k in range(count)]


def truncated(data: bytes, fraction: float = 0.5) -> bytes:
    """The first part of an encoded image: what a cut download or a clipped base64 field delivers."""
    return data[: max(1, min(len(data) - 1, int(len(data) * fraction)))]
