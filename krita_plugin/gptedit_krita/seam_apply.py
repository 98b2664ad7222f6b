"""The seam correction with Krita's own tools, on the worker thread: the core measures the answer against the
region that was sent (outside the selection), Qt resamples it into place and the core's tone tables recolour
it; the layer's transparency mask gets the feathered selection.

QImage and QPainter on a QImage are documented as usable outside the GUI thread (each thread its own
objects), so none of this waits on the GUI. A moved answer is resampled ONCE: drawn straight from the answer
onto its place with Qt's smooth (bilinear) transform; scaling it to the region's size first and then drawing
it through the small remaining shift and zoom resampled it twice, which softened thin lines (the seam
benchmark's line art at strength 0.5 with a 1024² answer, measured with Qt 6: 17.1 → 10.4 levels at the
edge). Only an answer more than twice the size of its place is first shrunk with Qt's area-averaging
scaling to twice that size, since one bilinear step would alias it."""

from __future__ import annotations

from gptedit.errors import BadInput, GptEditError
from gptedit.seam.correct import Correction, SeamOptions, plan_correction
from gptedit.seam.feather import feather_mask

from .qt import (
    FORMAT_ARGB32,
    FORMAT_ARGB32_PREMULTIPLIED,
    IGNORE_ASPECT,
    SMOOTH,
    SMOOTH_PIXMAP_TRANSFORM,
    QImage,
    QPainter,
    QRectF,
    image_bytes,
)


def options_from(settings, masked: bool = True) -> SeamOptions:
    """The seam settings (settings.FIELDS: seam_align, seam_colour, seam_blend, seam_sharpen,
    seam_feather); `masked`: the selection went to the model as its mask."""
    return SeamOptions(
        align=settings.seam_align,
        colour=settings.seam_colour,
        blend=settings.seam_blend,
        sharpen=settings.seam_sharpen,
        feather_percent=settings.seam_feather,
        masked=masked,
    )


def read_answer(path: str) -> QImage:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise GptEditError(f"The saved result {path} cannot be read ({exc}).") from exc
    img = QImage.fromData(data)
    if img.isNull():
        raise BadInput("The result is not a picture Qt can read.")
    return img.convertToFormat(FORMAT_ARGB32)


def placed(img: QImage, corr: Correction) -> bytes:
    """B,G,R,A of the answer over the region (corr.box_w × corr.box_h), moved and recoloured."""
    w, h = corr.box_w, corr.box_h
    if not corr.moves:
        if (img.width(), img.height()) != (w, h):
            img = img.scaled(w, h, IGNORE_ASPECT, SMOOTH)
        return corr.finish(image_bytes(img), "BGRA")
    left, top, right, bottom = corr.answer_rect()
    # a bilinear step reads 2×2 pixels: past a 2× shrink it would skip some of them (aliasing)
    most_w, most_h = max(1, round(2 * (right - left))), max(1, round(2 * (bottom - top)))
    if img.width() > most_w or img.height() > most_h:
        img = img.scaled(min(img.width(), most_w), min(img.height(), most_h), IGNORE_ASPECT, SMOOTH)
    target = QImage(w, h, FORMAT_ARGB32_PREMULTIPLIED)
    target.fill(0)
    painter = QPainter(target)
    painter.setRenderHint(SMOOTH_PIXMAP_TRANSFORM, True)
    painter.drawImage(
        QRectF(left, top, right - left, bottom - top), img, QRectF(0, 0, img.width(), img.height())
    )
    painter.end()
    return corr.finish(image_bytes(target.convertToFormat(FORMAT_ARGB32)), "BGRA")


def correct(
    paths: list[str], original: bytes, width: int, height: int, mask: bytes | None, options: SeamOptions
) -> tuple[list[bytes], list[Correction]]:
    """Each result measured against `original` (B,G,R,A of the region, width×height) outside `mask` and
    placed over the region; with no mask nothing is measured and the report says so."""
    images, corrections = [], []
    for path in paths:
        img = read_answer(path)
        if mask is None:
            corr = plan_correction(
                b"", width, height, "BGRA", b"", img.width(), img.height(), "BGRA", None, options
            )
        else:
            corr = plan_correction(
                original,
                width,
                height,
                "BGRA",
                image_bytes(img),
                img.width(),
                img.height(),
                "BGRA",
                mask,
                options,
            )
        images.append(placed(img, corr))
        corrections.append(corr)
    return images, corrections


def stored_mask(mask: bytes | None, box, stored: dict | None) -> bytes | None:
    """The selection with the soft edge its job was first inserted with (Insert again)."""
    variations = (stored or {}).get("variations") or []
    width = int(variations[0].get("feather_px") or 0) if variations else 0
    if mask is None or width <= 1:
        return mask
    return feather_mask(mask, box.width, box.height, width)


def reapply(paths: list[str], width: int, height: int, stored: dict | None) -> list[bytes]:
    """Results placed with the correction stored for their job (Insert again of a result inserted before:
    the same correction as the first time)."""
    variations = (stored or {}).get("variations") or []
    out = []
    for i, path in enumerate(paths):
        img = read_answer(path)
        data = variations[i] if i < len(variations) else None
        out.append(placed(img, Correction.from_json(data, width, height, img.width(), img.height())))
    return out
