"""The seam correction with GIMP's own tools, on the plug-in's main thread: the core measures each answer
against the region that was sent (outside the selection); GIMP scales it into place, then moves it through
the small remaining shift and zoom with its transform (the user's interpolation setting), and recolours it
with Curves; the layer mask gets the feathered selection.

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

_CHANNELS = (Gimp.HistogramChannel.RED, Gimp.HistogramChannel.GREEN, Gimp.HistogramChannel.BLUE)


def options_from(settings, masked: bool = True) -> SeamOptions:
    """The seam settings (every step on unless switched off); `masked`: the selection went to the model."""
    return SeamOptions(
        align=bool(getattr(settings, "seam_align", True)),
        colour=bool(getattr(settings, "seam_colour", True)),
        blend=bool(getattr(settings, "seam_blend", True)),
        feather_percent=float(getattr(settings, "seam_feather", 2.0)),
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
            out.append(plan_correction(b"", box.width, box.height, "RGBA", b"", lw, lh, "RGBA", None, options))
            continue
        sent_mask = mask
        if (sent.width, sent.height) != (box.width, box.height):
            sent_mask = resize_nearest(mask, box.width, box.height, sent.width, sent.height)
        corr = plan_correction(sent.rgba, sent.width, sent.height, "RGBA", _pixels(layer), lw, lh, "RGBA",
                               sent_mask, dataclasses.replace(options, blend=False))
        corr = corr.resized(box.width, box.height)
        corr.mask, corr.report.feather_px = blend_mask(mask, box.width, box.height, options)
        out.append(corr)
    return out


def move(layer, box: Box, corr: Correction):
    """After the layer was scaled over `box`: shift and zoom it into line, cropped back to the box."""
    if not corr.moves:
        return layer
    left, top, right, bottom = corr.answer_rect()
    moved = layer.transform_scale(box.x + left, box.y + top, box.x + right, box.y + bottom)
    layer = moved if moved is not None else layer
    _, ox, oy = layer.get_offsets()
    layer.resize(box.width, box.height, ox - box.x, oy - box.y)
    return layer


def recolour(layer, corr: Correction, linear: bool) -> None:
    """The tone tables as Curves (fitted on 8-bit non-linear levels: not applied to linear-light images,
    where Curves would bend other levels)."""
    if corr.tables is None or linear:
        return
    for channel, table in zip(_CHANNELS, corr.tables, strict=True):
        layer.curves_explicit(channel, [v / 255.0 for v in table])
