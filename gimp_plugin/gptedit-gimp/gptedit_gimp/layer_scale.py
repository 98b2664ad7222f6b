"""Scale an answer back to the size of the region it replaces, or scale and move it where the seam
correction lines it up, in this process with GEGL, strip by strip.

`Gimp.Layer.scale` does it in one call inside GIMP, ~1-2.5 s at 4096², during which the plug-in cannot run
its main loop, so its progress window freezes; so does the transform that moves a drifted answer (1.6 s for
a 2048² region with Cubic). Here the same GEGL operation GIMP runs (`gegl:scale-ratio` with the user's
interpolation and the edge pixels repeated for the scale; `gegl:transform`'s resampling with the move's
matrix, outside transparent, for the move) renders into a new layer a strip of rows at a time, and the main
loop runs between strips. The pixels are GIMP's own (but for a rare value rounded the other way:
tests/gimp/test_gimp_edit.py, tests/gimp/test_gimp_seam.py). The scale takes GIMP's own time, within the
noise of a shared machine (tests/bench/gimp_bench.py): GEGL reads and writes the layers' tiles through
shared memory. The move was measured slower than GIMP's own transform (README, GIMP benchmark).
The new layer is not in the image yet, so nothing here touches the document. Main thread.
"""

from __future__ import annotations

import math
import struct

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp  # noqa: E402

from .canvas_read import _gegl  # noqa: E402
from .wait import NO_STEPS  # noqa: E402

#: pixels rendered between two turns of the main loop: ~0.05-0.1 s of GEGL work on a 2-core machine
STRIP_PIXELS = 256 * 1024

#: GIMP's interpolation setting (what its own scale and transform tools use) as GEGL's sampler
SAMPLERS = {
    "none": Gegl.SamplerType.NEAREST,
    "linear": Gegl.SamplerType.LINEAR,
    "cubic": Gegl.SamplerType.CUBIC,
    "nohalo": Gegl.SamplerType.NOHALO,
    "lohalo": Gegl.SamplerType.LOHALO,
}


def sampler() -> Gegl.SamplerType:
    nick = Gimp.context_get_interpolation().value_nick
    return SAMPLERS.get(nick, Gegl.SamplerType.CUBIC)


def scaled_copy(layer, width: int, height: int, steps=NO_STEPS):
    """A new layer (same name, type, mode and opacity; not in the image) holding `layer` scaled to
    width×height. `layer` itself is left as it was."""
    scale = {
        "x": width / layer.get_width(),
        "y": height / layer.get_height(),
        "sampler": sampler(),
        "abyss-policy": Gegl.AbyssPolicy.CLAMP,  # as GIMP's scale: no dark rim
    }
    return _rendered(layer, [("gegl:scale-ratio", scale)], width, height, (0, 0, width, height), steps)


def _as_gimp_passes_it(value: float) -> float:
    """A matrix entry as GIMP's transform hands it to GEGL: written with six decimals (GEGL's matrix to
    string) and read back into a single-precision float (its string to matrix)."""
    return struct.unpack("f", struct.pack("f", float(f"{value:f}")))[0]


def moved_copy(layer, x: int, y: int, width: int, height: int, rect, gegl_sampler, steps=NO_STEPS):
    """A new layer over the region x, y, width×height of the image (not in the image yet), holding `layer`
    stretched onto `rect` (left, top, right, bottom in the image, fractional, may reach past the region),
    resampled once with `gegl_sampler`; where the stretched layer does not reach, it is transparent.

    GIMP's own `Gimp.Item.transform_scale` of `layer` onto `rect`, cropped to the region, computed as
    GIMP computes it: the same matrix (from the same arithmetic, rounded as GIMP rounds it on its way to
    GEGL) sampled by `gegl:transform`'s code (here as `gegl:scale-ratio` then `gegl:translate`, which
    GEGL composes into one matrix and resamples once), outside the layer transparent, kept only on the
    whole pixels GIMP keeps (its "adjust" clipping: the rectangle's left and top rounded down, its right and
    bottom up)."""
    lw, lh = layer.get_width(), layer.get_height()
    x0, y0, x1, y1 = rect
    # GIMP: the layer's bounds (0, 0, lw, lh) → rect; then moved to the origin of its result's buffer
    sx, sy = (x1 - x0) / lw, (y1 - y0) / lh
    eps = 1e-8  # GIMP's, so that a side on a whole pixel is not widened by rounding
    left, top = math.floor(x0 + eps), math.floor(y0 + eps)
    right, bottom = math.ceil(lw * sx + x0 - eps), math.ceil(lh * sy + y0 - eps)
    scale = {"x": _as_gimp_passes_it(sx), "y": _as_gimp_passes_it(sy), "sampler": gegl_sampler}
    scale["abyss-policy"] = Gegl.AbyssPolicy.NONE
    # GIMP's buffer starts at (left, top); ours at (x, y): a whole-pixel shift more
    move = {
        "x": _as_gimp_passes_it(x0 - left) + (left - x),
        "y": _as_gimp_passes_it(y0 - top) + (top - y),
        "sampler": gegl_sampler,
        "abyss-policy": Gegl.AbyssPolicy.NONE,
    }
    area = (max(0, left - x), max(0, top - y), min(width, right - x), min(height, bottom - y))
    area = (area[0], area[1], max(area[0], area[2]), max(area[1], area[3]))
    chain = [("gegl:scale-ratio", scale), ("gegl:translate", move)]
    return _rendered(layer, chain, width, height, area, steps)


def _rendered(layer, chain, width: int, height: int, area, steps):
    """A new layer like `layer`, of width×height, holding the GEGL operations `chain` ((name, settings),
    ...) applied to `layer` within `area` (x0, y0, x1, y1) and transparent outside it, rendered a strip of
    rows at a time with the main loop turning between strips."""
    _gegl()
    image = layer.get_image()
    out = Gimp.Layer.new(
        image, layer.get_name(), width, height, layer.type(), layer.get_opacity(), layer.get_mode()
    )
    try:
        graph = Gegl.Node()
        node = graph.create_child("gegl:buffer-source")
        node.set_property("buffer", layer.get_buffer())
        for operation, settings in chain:
            nxt = graph.create_child(operation)
            for key, value in settings.items():
                nxt.set_property(key, value)
            node.link(nxt)
            node = nxt
        target = out.get_buffer()
        x0, y0, x1, y1 = area
        if (x0, y0, x1, y1) != (0, 0, width, height):
            target.clear(Gegl.Rectangle.new(0, 0, width, height))
        if x1 > x0:
            rows = max(1, STRIP_PIXELS // (x1 - x0))
            for y in range(y0, y1, rows):
                strip = Gegl.Rectangle.new(x0, y, x1 - x0, min(rows, y1 - y))
                node.blit_buffer(target, strip, 0, Gegl.AbyssPolicy.NONE)
                steps.breathe()
        target.flush()
    except Exception:
        out.delete()
        raise
    return out
