"""Scale an answer back to the size of the region it replaces, in this process with GEGL, strip by strip.

`Gimp.Layer.scale` does it in one call inside GIMP, ~1-2.5 s at 4096², during which the plug-in cannot run
its main loop, so its progress window freezes. Here the same GEGL operation GIMP's scale runs
(`gegl:scale-ratio` with the user's interpolation and the edge pixels repeated) renders into a new layer a
strip of rows at a time, and the main loop runs between strips. The pixels are GIMP's own scale's (but for a
rare value rounded the other way: tests/gimp/test_gimp_edit.py), and so is the time, within the noise of a
shared machine (tests/bench/gimp_bench.py): GEGL reads and writes the layers' tiles through shared memory.
The new layer is not in the image yet, so nothing here touches the document. Main thread.
"""

from __future__ import annotations

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
    _gegl()
    image = layer.get_image()
    out = Gimp.Layer.new(
        image, layer.get_name(), width, height, layer.type(), layer.get_opacity(), layer.get_mode()
    )
    try:
        graph = Gegl.Node()
        source = graph.create_child("gegl:buffer-source")
        source.set_property("buffer", layer.get_buffer())
        scale = graph.create_child("gegl:scale-ratio")
        scale.set_property("x", width / layer.get_width())
        scale.set_property("y", height / layer.get_height())
        scale.set_property("sampler", sampler())
        scale.set_property("abyss-policy", Gegl.AbyssPolicy.CLAMP)  # as GIMP's scale: no dark rim
        source.link(scale)
        target = out.get_buffer()
        rows = max(1, STRIP_PIXELS // width)
        for y in range(0, height, rows):
            strip = Gegl.Rectangle.new(0, y, width, min(rows, height - y))
            scale.blit_buffer(target, strip, 0, Gegl.AbyssPolicy.NONE)
            steps.breathe()
        target.flush()
    except Exception:
        out.delete()
        raise
    return out
