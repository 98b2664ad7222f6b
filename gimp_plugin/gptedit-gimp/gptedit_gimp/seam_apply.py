"""The seam correction with GIMP's own tools, on the plug-in's main thread: the core measures each answer
against the region that was sent (outside the selection); GIMP scales it into place, then moves it through
the small remaining shift and zoom with its transform (the user's interpolation setting); the core's tone
tables recolour it (a `bytes.translate` per channel on one GEGL read and write); the layer mask gets the
feathered selection.

The measuring reads the answer GIMP has just loaded (one GEGL read, 8-bit R'G'B'A) and the pixels that were
sent, which the snapshot still holds (possibly downscaled: the correction is measured there and placed at
full size)."""

from __future__ import annotations

import dataclasses

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp  # noqa: E402
from gptedit.geometry import Box, resize_nearest  # noqa: E402
from gptedit.seam.correct import Correction, SeamOptions, blend_mask, plan_correction  # noqa: E402

from .canvas_read import RGBA8, _gegl  # noqa: E402


def options_from(settings, masked: bool = True) -> SeamOptions:
    """The seam settings (settings.FIELDS: seam_align, seam_colour, seam_blend, seam_feather); `masked`: the
    selection went to the model as its mask."""
    return SeamOptions(
        align=settings.seam_align,
        colour=settings.seam_colour,
        blend=settings.seam_blend,
        feather_percent=settings.seam_feather,
        masked=masked,
    )


def _pixels(layer) -> bytes:
    _gegl()
    rect = Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height())
    return bytes(layer.get_buffer().get(rect, 1.0, RGBA8, Gegl.AbyssPolicy.NONE))


def measure(layers, snapshot, box: Box, options: SeamOptions) -> list[Correction]:
    """One correction per loaded answer layer, for placing it over `box`."""
    sent, mask = snapshot.pixels, snapshot.mask
    out = []
    for layer in layers:
        lw, lh = layer.get_width(), layer.get_height()
        if mask is None:
            out.append(
                plan_correction(b"", box.width, box.height, "RGBA", b"", lw, lh, "RGBA", None, options)
            )
            continue
        sent_mask = mask
        if (sent.width, sent.height) != (box.width, box.height):
            sent_mask = resize_nearest(mask, box.width, box.height, sent.width, sent.height)
        corr = plan_correction(
            sent.rgba,
            sent.width,
            sent.height,
            "RGBA",
            _pixels(layer),
            lw,
            lh,
            "RGBA",
            sent_mask,
            dataclasses.replace(options, blend=False),
        )
        corr = corr.resized(box.width, box.height)
        corr.mask, corr.report.feather_px = blend_mask(mask, box.width, box.height, options)
        out.append(corr)
    return out


def move(layer, box: Box, corr: Correction):
    """After the layer was scaled over `box`: shift and zoom it into line, cropped back to the box."""
    if not corr.moves:
        return layer
    left, top, right, bottom = corr.answer_rect()
    image = layer.get_image()
    # GIMP transforms only the selected part of a drawable when there is a selection (making a floating
    # one): the user's selection is set aside for the transform and put back, inside the same undo group
    kept = None
    if not Gimp.Selection.is_empty(image):
        kept = Gimp.Selection.save(image)
        Gimp.Selection.none(image)
    try:
        moved = layer.transform_scale(box.x + left, box.y + top, box.x + right, box.y + bottom)
    finally:
        if kept is not None:
            image.select_item(Gimp.ChannelOps.REPLACE, kept)
            image.remove_channel(kept)
    layer = moved if moved is not None else layer
    _, ox, oy = layer.get_offsets()
    layer.resize(box.width, box.height, ox - box.x, oy - box.y)
    return layer


def recolour(layer, corr: Correction) -> None:
    """The tone tables applied to the layer's 8-bit non-linear levels, where they were fitted (GIMP's Curves
    procedure bends linear-light values instead, which moves every other level). The answer came as 8-bit
    pixels, so reading and writing it at 8 bits loses nothing it had."""
    if corr.tables is None:
        return
    _gegl()
    w, h = layer.get_width(), layer.get_height()
    rect = Gegl.Rectangle.new(0, 0, w, h)
    buf = layer.get_buffer()
    data = bytes(buf.get(rect, 1.0, RGBA8, Gegl.AbyssPolicy.NONE))
    buf.set(rect, RGBA8, corr.apply_colour(data, "RGBA"))
    buf.flush()
    layer.update(0, 0, w, h)
