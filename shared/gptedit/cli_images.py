"""Image files for the command line (Pillow lives here, never in the core the hosts load)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from .errors import BadInput
from .models import ImageInput

#: refuse absurd inputs before decoding them (Pillow's own bomb guard is a warning below 2x this)
MAX_PIXELS = 100_000_000


def _open(path: Path) -> Image.Image:
    if not path.exists():
        raise BadInput(f"{path} does not exist.")
    try:
        img = Image.open(path)
        if img.width * img.height > MAX_PIXELS:
            raise BadInput(f"{path} is {img.width}x{img.height}; images above 100 megapixels are refused.")
        img.load()
        return img
    except (UnidentifiedImageError, OSError) as exc:
        raise BadInput(f"{path} is not an image this program can read ({exc}).") from None


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def load_input(path: Path) -> ImageInput:
    """Any Pillow-readable file → PNG bytes (RGBA keeps transparency; 16-bit and CMYK become 8-bit RGB)."""
    img = _open(path)
    mode = "RGBA" if ("A" in img.getbands() or "transparency" in img.info) else "RGB"
    img = img.convert(mode)
    return ImageInput(
        data=_png(img), mime="image/png", width=img.width, height=img.height, name=path.stem + ".png"
    )


def load_mask(path: Path, image: ImageInput) -> ImageInput:
    """A mask in OpenAI's convention: transparent where the model may edit. A mask without alpha is read
    as a grey map, white = edit, which is what painters usually draw."""
    img = _open(path)
    if (img.width, img.height) != (image.width, image.height):
        raise BadInput(
            f"The mask is {img.width}x{img.height} but the image is {image.width}x{image.height}; "
            "they must be the same size."
        )
    if "A" in img.getbands():
        alpha = img.getchannel("A")
    else:
        grey = img.convert("L")
        alpha = grey.point(lambda v: 0 if v >= 128 else 255)
    out = Image.new("RGBA", img.size, (0, 0, 0, 255))
    out.putalpha(alpha)
    return ImageInput(data=_png(out), mime="image/png", width=img.width, height=img.height, name="mask.png")


def load_markup(path: Path, image: ImageInput) -> ImageInput:
    """A markup overlay: strokes on a transparent picture the size of the image. Without transparency the
    whole picture would read as drawn on, so such a file is refused with what to do instead."""
    img = _open(path)
    if (img.width, img.height) != (image.width, image.height):
        raise BadInput(
            f"The markup is {img.width}x{img.height} but the image is {image.width}x{image.height}; "
            "draw it on a transparent layer the size of the image."
        )
    if "A" not in img.getbands() and "transparency" not in img.info:
        raise BadInput(
            f"{path} has no transparency, so all of it would count as markup. Export the markup "
            "layer alone as a PNG with a transparent background."
        )
    img = img.convert("RGBA")
    if img.getchannel("A").getextrema()[1] == 0:
        raise BadInput(f"Nothing is drawn on {path}: it is fully transparent.")
    return ImageInput(data=_png(img), mime="image/png", width=img.width, height=img.height, name="markup.png")


def numbered(output: Path, index: int, count: int) -> Path:
    if count == 1:
        return output
    return output.with_name(f"{output.stem}-{index + 1}{output.suffix}")


def write_outputs(results: list[Path], output: Path) -> list[Path]:
    """Copy each saved result to OUTPUT (numbered when several), converting when the extension asks for
    another format than the provider sent."""
    output.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for i, src in enumerate(results):
        dest = numbered(output, i, len(results))
        want = dest.suffix.lower().lstrip(".")
        have = src.suffix.lower().lstrip(".")
        same = want == have or {want, have} <= {"jpg", "jpeg"}
        if same or not want:
            shutil.copyfile(src, dest)
        else:
            img = Image.open(src)
            if want in ("jpg", "jpeg") and img.mode in ("RGBA", "LA", "P"):
                img = img.convert("RGB")
            img.save(dest)
        written.append(dest)
    return written
