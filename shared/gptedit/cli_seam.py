"""The seam correction with Pillow, for the command line and the benchmark (hosts use their own
resampling): the answer stretched over the region that was sent, moved and recoloured as `Correction`
says, then laid over the original through the (feathered) selection."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image

from .seam.correct import Correction, SeamOptions, plan_correction


def plan(
    original: Image.Image, answer: Image.Image, mask: Image.Image | None, options: SeamOptions | None = None
) -> Correction:
    """Measure `answer` against `original` (the region that was sent) outside `mask` ("L", 255 =
    selected, the original's size; None = no selection)."""
    orig = original.convert("RGBA")
    ans = answer.convert("RGBA")
    return plan_correction(
        orig.tobytes(),
        orig.width,
        orig.height,
        "RGBA",
        ans.tobytes(),
        ans.width,
        ans.height,
        "RGBA",
        mask.tobytes() if mask is not None else None,
        options,
    )


def corrected_layer(answer: Image.Image, corr: Correction) -> Image.Image:
    """The answer as an RGBA layer of the original's size, lined up and recoloured, resampled ONCE (a second
    resampling would soften thin lines again): an answer of the region's size by one bicubic affine
    transform (Pillow's transform cubic is the sharper a = -1 kind); an answer of another size by one
    Lanczos resize of exactly the part of it that lands on the region (the filter is widened when
    shrinking, so a large answer is not aliased). Where the moved answer does not reach, transparent."""
    box = (corr.box_w, corr.box_h)
    layer = answer.convert("RGBA")
    if corr.moves and layer.size == box:
        layer = layer.transform(
            box, Image.Transform.AFFINE, corr.box_to_answer_affine(), Image.Resampling.BICUBIC
        )
    elif corr.moves:
        a, _b, c, _d, e, f = corr.box_to_answer_affine()
        left, top, right, bottom = c, f, a * corr.box_w + c, e * corr.box_h + f
        # the part of the answer over the region may reach past it: pad with transparency (resize reads
        # only inside the image), wide enough for the filter's reach too
        pad = 4 + math.ceil(max(0.0, -left, -top, right - layer.width, bottom - layer.height))
        padded = Image.new("RGBA", (layer.width + 2 * pad, layer.height + 2 * pad), (0, 0, 0, 0))
        padded.paste(layer, (pad, pad))
        layer = padded.resize(
            box, Image.Resampling.LANCZOS, box=(left + pad, top + pad, right + pad, bottom + pad)
        )
    elif layer.size != box:
        layer = layer.resize(box, Image.Resampling.LANCZOS)
    if corr.touches_pixels:  # recoloured, then sharpened back (where it measurably lost sharpness)
        layer = Image.frombytes("RGBA", box, corr.finish(layer.tobytes(), "RGBA"))
    return layer


def composite(original: Image.Image, layer: Image.Image, mask: bytes | None) -> Image.Image:
    """`layer` over `original` through `mask` (1 byte per pixel; None = the whole layer), as a host shows
    a new layer with a mask above the picture."""
    base = original.convert("RGBA")
    top = layer.convert("RGBA")
    if mask is not None:
        alpha = Image.frombytes("L", top.size, mask)
        from PIL import ImageChops

        top.putalpha(ImageChops.multiply(top.getchannel("A"), alpha))
    return Image.alpha_composite(base, top)


def selection_of(mask_png: bytes) -> Image.Image:
    """The selection ("L", 255 = may be edited) of a mask in OpenAI's convention (alpha 0 = edit)."""
    import io

    alpha = Image.open(io.BytesIO(mask_png)).convert("RGBA").getchannel("A")
    return alpha.point(lambda a: 255 if a == 0 else 0)


def write_corrected(
    results: list[Path],
    original_path: Path | Image.Image,
    selection: Image.Image | None,
    output: Path,
    options: SeamOptions,
) -> tuple[list[Path], list[Correction]]:
    """Each result corrected against the original (a file, or the picture the job kept) and laid over it
    through the (feathered) selection, written to OUTPUT (numbered when several). Without a selection the
    answer is written as it came: there is nothing outside it to compare with, and the report says so."""
    from .cli_images import _open, numbered, write_outputs  # the command line's own file rules

    if selection is None:  # the answers as they came (copied byte for byte), with the report that says why
        nothing = plan_correction(b"", 0, 0, "RGBA", b"", 0, 0, "RGBA", None, options)
        return write_outputs([Path(p) for p in results], output), [nothing for _ in results]
    picture = original_path if isinstance(original_path, Image.Image) else _open(original_path)
    original = picture.convert("RGBA")
    output.parent.mkdir(parents=True, exist_ok=True)
    written, corrections = [], []
    for i, path in enumerate(results):
        answer = _open(Path(path)).convert("RGBA")
        corr = plan(original, answer, selection, options)
        out = composite(original, corrected_layer(answer, corr), corr.mask)
        dest = numbered(output, i, len(results))
        if not dest.suffix:
            dest = dest.with_suffix(Path(path).suffix)
        if dest.suffix.lower() in (".jpg", ".jpeg"):
            out = out.convert("RGB")
        out.save(dest)
        written.append(dest)
        corrections.append(corr)
    return written, corrections
