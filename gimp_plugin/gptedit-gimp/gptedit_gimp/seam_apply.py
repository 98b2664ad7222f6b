"""The seam correction on the plug-in's main thread: the core measures each answer against the region
that was sent (outside the selection); a drifted answer is moved into place with ONE transform straight
from the answer as it was loaded (scaling it to the region first and then moving it resampled it twice,
which softened thin lines): GIMP's own GEGL transform, run in this process a strip at a time (layer_scale),
with NoHalo interpolation on regions up to a megapixel (see SHARP); the core's tone tables recolour it (a
`bytes.translate` per channel on one GEGL read and write); the layer mask gets the feathered selection.

The measuring reads the answer GIMP has just loaded (one GEGL read, 8-bit R'G'B'A, on the main thread) and
compares it, on a thread, with the pixels that were sent, which the snapshot still holds (possibly
downscaled: the correction is measured there and placed at full size). The selection's forms it needs are
made earlier, while the job waits."""

from __future__ import annotations

import dataclasses

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl  # noqa: E402
from gptedit.geometry import Box, resize_nearest  # noqa: E402
from gptedit.seam.correct import Correction, SeamOptions, blend_mask, plan_correction  # noqa: E402

from . import layer_scale  # noqa: E402
from .canvas_read import RGBA8, _gegl  # noqa: E402
from .wait import NO_STEPS  # noqa: E402


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


@dataclasses.dataclass
class Masks:
    """The selection as the seam correction needs it: at the size that was sent (where the answer is
    measured) and feathered at full size (the layer mask). Both depend only on the selection, so they are
    made while the job waits (`prepare_masks`), not after the answer came: at 4096² they take ~0.9 s."""

    sent: bytes | None
    blend: tuple[bytes, int] | None


def prepare_masks(snapshot, box: Box, options: SeamOptions) -> Masks:
    """For the answers placed over `box`. Pure Python (no GIMP call): runs on a thread while the job
    waits."""
    mask, sent = snapshot.mask, snapshot.pixels
    if mask is None:
        return Masks(None, None)
    sent_mask = mask
    if (sent.width, sent.height) != (box.width, box.height):
        sent_mask = resize_nearest(mask, box.width, box.height, sent.width, sent.height)
    return Masks(sent_mask, blend_mask(mask, box.width, box.height, options))


def read_answers(layers) -> list[tuple[bytes, int, int]]:
    """The loaded answers' pixels (one GEGL read each, 8-bit R'G'B'A), on the main thread."""
    _gegl()
    out = []
    for layer in layers:
        w, h = layer.get_width(), layer.get_height()
        rect = Gegl.Rectangle.new(0, 0, w, h)
        out.append((bytes(layer.get_buffer().get(rect, 1.0, RGBA8, Gegl.AbyssPolicy.NONE)), w, h))
    return out


def measure(answers, snapshot, box: Box, options: SeamOptions, masks=None) -> list[Correction]:
    """One correction per answer (`read_answers`), for placing it over `box`. Pure Python: the insert runs it
    on a thread. `masks`: `prepare_masks`' result, or something whose `result()` returns it (made here when
    None)."""
    if masks is None:
        masks = prepare_masks(snapshot, box, options)
    elif not isinstance(masks, Masks):
        masks = masks.result()
    sent = snapshot.pixels
    out = []
    for pixels, lw, lh in answers:
        if snapshot.mask is None:
            out.append(
                plan_correction(b"", box.width, box.height, "RGBA", b"", lw, lh, "RGBA", None, options)
            )
            continue
        corr = plan_correction(
            sent.rgba,
            sent.width,
            sent.height,
            "RGBA",
            pixels,
            lw,
            lh,
            "RGBA",
            masks.sent,
            dataclasses.replace(options, blend=False),
        )
        corr = corr.resized(box.width, box.height)
        corr.mask, corr.report.feather_px = masks.blend
        out.append(corr)
    return out


#: GIMP's samplers on the seam benchmark's line art (one transform, answers of 768² and 1024² over a 768²
#: region, GIMP 3.0): band error at the selection's edge 10.6-15.3 levels with NoHalo, 12.3-19.4 Linear,
#: 12.9-19.8 Cubic, 13.8-17.9 LoHalo; on photos and flat pictures they stay within 0.25 level of each other,
#: all under the added noise. NoHalo is slower: 0.3-0.9 s on a 768² region (Cubic 0.1 s), 6 s on 2048²
#: (Cubic 1.6 s). So NoHalo up to SHARP_MAX_PIXELS, Cubic above.
SHARP = Gegl.SamplerType.NOHALO
LARGE = Gegl.SamplerType.CUBIC
SHARP_MAX_PIXELS = 1024 * 1024


def move(layer, box: Box, corr: Correction, steps=NO_STEPS):
    """A new layer over the region `box` (not in the image yet) holding the answer as loaded (any size)
    scaled and moved in one resampling onto where its content lines up with the region. Only for a
    correction that moves (else the answer is scaled over the box as before). What GIMP's own
    `transform_scale` onto that rectangle gives, cropped to the box (tests/gimp/test_gimp_seam.py compares
    them), but rendered in this process a strip at a time (layer_scale), so the progress window keeps
    ticking, and before the insert's undo group, so a failure leaves the image untouched. Working on a
    layer outside the image, it needs no care for the user's selection (GIMP's transform of a layer in
    the image would move only the selected part of it)."""
    left, top, right, bottom = corr.answer_rect()
    rect = (box.x + left, box.y + top, box.x + right, box.y + bottom)
    sampler = SHARP if box.area <= SHARP_MAX_PIXELS else LARGE
    return layer_scale.moved_copy(layer, box.x, box.y, box.width, box.height, rect, sampler, steps)


def recolour(layer, corr: Correction, steps=NO_STEPS) -> None:
    """The tone tables applied to the layer's 8-bit non-linear levels, where they were fitted (GIMP's Curves
    procedure bends linear-light values instead, which moves every other level). The answer came as 8-bit
    pixels, so reading and writing it at 8 bits loses nothing it had. The core's work on the pixels runs on
    a thread (`steps`); the read and the write stay on the main thread."""
    if not corr.touches_pixels:
        return
    _gegl()
    w, h = layer.get_width(), layer.get_height()
    rect = Gegl.Rectangle.new(0, 0, w, h)
    buf = layer.get_buffer()
    data = bytes(buf.get(rect, 1.0, RGBA8, Gegl.AbyssPolicy.NONE))
    steps.breathe()
    buf.set(rect, RGBA8, steps.compute(corr.finish, data, "RGBA"))
    buf.flush()
    layer.update(0, 0, w, h)
