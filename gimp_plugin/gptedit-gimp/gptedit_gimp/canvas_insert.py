"""Put fetched results into the image: one new layer (or a group of variations, the first visible) above the
source layer at the context box, with the selection as a layer mask, all in ONE undo group.

GIMP decodes the result files itself (`file_load_layer`: PNG, JPEG, WebP) and converts them to the image's
base type and precision, so grayscale and 16/32-bit images keep their mode. Main thread only; between its
GIMP calls the progress views are told what is happening and get to tick (`wait.Steps`), and its
pure-Python parts run on threads.
"""

from __future__ import annotations

from pathlib import Path

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, Gio  # noqa: E402
from gptedit.errors import GptEditError  # noqa: E402
from gptedit.geometry import Box  # noqa: E402

from . import layer_scale  # noqa: E402
from .canvas_read import MASK8, _gegl  # noqa: E402
from .wait import NO_STEPS  # noqa: E402


class NotInserted(GptEditError):
    """The result exists (saved and in the ledger) but the image or layer it belongs to is gone."""

    kind = "not_inserted"


def how_to_insert(job_id: str, paths: list[str]) -> str:
    files = ", ".join(paths) if paths else "(no files)"
    return (
        f"The result is kept: insert it into any open image with Filters ▸ AI ▸ Recent GPT Image results… "
        f"(job {job_id[:8]}), or open the file directly: {files}"
    )


def insertion_target(image_id: int, layer_id: int, job_id: str, paths: list[str]):
    """Re-check, right before inserting, that the image and its source layer still exist (GIMP stays
    usable while the plug-in waits: the user may have closed the image or deleted the layer meanwhile)."""
    image = Gimp.Image.get_by_id(image_id) if image_id is not None else None
    if image is None or not image.is_valid():
        raise NotInserted("The image this edit belongs to has been closed. " + how_to_insert(job_id, paths))
    layer = Gimp.Layer.get_by_id(layer_id) if layer_id is not None else None
    if layer is None or not layer.is_valid() or layer.get_image().get_id() != image.get_id():
        raise NotInserted("The layer that was edited has been deleted. " + how_to_insert(job_id, paths))
    return image, layer


def _load(image, path: str):
    if not Path(path).exists():
        raise GptEditError(f"The result file {path} is missing; it may have been deleted.")
    layer = Gimp.file_load_layer(Gimp.RunMode.NONINTERACTIVE, image, Gio.File.new_for_path(path))
    if layer is None:
        raise GptEditError(f"GIMP could not read the result file {path}.")
    if not layer.has_alpha():
        layer.add_alpha()  # JPEG answers: the mask and transparent surroundings need an alpha channel
    return layer


def _needs_scale(layer, box: Box | None, correction) -> bool:
    """Not with no box (a job from the command line: the answer keeps its size), nor at the box's size
    already, nor with a seam correction that moves it (`_moved` scales and moves it in one resampling)."""
    if box is None or (layer.get_width(), layer.get_height()) == (box.width, box.height):
        return False
    return correction is None or not correction.moves


def _scaled(layer, box: Box, steps):
    """The answer scaled over exactly the region that was sent (the model answers at its own size), as a new
    layer not yet in the image (layer_scale); the loaded one is then deleted."""
    try:
        scaled = layer_scale.scaled_copy(layer, box.width, box.height, steps)
    except Exception as exc:
        raise GptEditError(f"GIMP could not scale the result to {box.width}x{box.height}: {exc}") from exc
    layer.delete()
    return scaled


def _moved(layer, box: Box, correction, steps):
    """The answer scaled and moved in one resampling to where its content lines up with the region
    (seam_apply.move), as a new layer over the box not yet in the image; the loaded one is then deleted."""
    from . import seam_apply

    try:
        moved = seam_apply.move(layer, box, correction, steps)
    except Exception as exc:
        raise GptEditError(f"GIMP could not line the result up with the picture: {exc}") from exc
    layer.delete()
    return moved


def _place(layer, box: Box | None, correction=None, steps=NO_STEPS):
    """Put the answer over the region that was sent (already scaled to it by `_scaled`, or scaled and moved
    to where its content lines up by `_moved`); then recolour it. No box (a job from the command line):
    the answer keeps its size, at the top-left corner. Returns the layer."""
    if box is None:
        layer.set_offsets(0, 0)
        return layer
    from . import seam_apply

    layer.set_offsets(box.x, box.y)
    if correction is not None:
        if correction.touches_pixels:
            steps.step("Matching the colours")
        seam_apply.recolour(layer, correction, steps)
    return layer


def _mask_from_bytes(target, mask: bytes, box: Box) -> None:
    _gegl()
    layer_mask = target.create_mask(Gimp.AddMaskType.WHITE)
    buf = layer_mask.get_buffer()
    buf.set(Gegl.Rectangle.new(0, 0, box.width, box.height), MASK8, mask)
    buf.flush()
    target.add_mask(layer_mask)
    layer_mask.update(0, 0, box.width, box.height)


def insert_results(
    image,
    above,
    paths: list[str],
    box: Box | None,
    mask: bytes | None,
    name: str,
    measure=None,
    steps=NO_STEPS,
):
    """Insert and return the new layer (or group). `above` = the layer to insert above, or None for the top
    of the stack. Raises GptEditError with the image unchanged when a file cannot be read.
    `measure(layers, box)`: the seam corrections for the loaded answers, or something whose `result()`
    returns them (seam_apply's measuring on a thread, waited for with the main loop turning), or None.
    `steps` (wait.Steps): told what each step does, and lets the progress views tick between GIMP calls."""
    if not paths:
        raise GptEditError("The job has no result images to insert.")
    if mask is not None and (box is None or len(mask) != box.area):
        mask = None  # a mask saved for another box would be wrong; better no mask than a misplaced one
    # Load, scale and move before the undo group: a file GIMP cannot read must leave the image untouched.
    layers: list = []
    try:
        for i, path in enumerate(paths):
            steps.step("Loading the result" + (f" ({i + 1} of {len(paths)})" if len(paths) > 1 else ""))
            layers.append(_load(image, path))
        corrections = measure(layers, box) if measure is not None and box is not None else None
        if hasattr(corrections, "result"):  # measuring on a thread
            steps.step("Comparing the result with the picture around the selection")
            corrections = steps.wait(corrections)
        corrections = corrections or [None] * len(layers)
        for i, layer in enumerate(layers):
            if box is not None and corrections[i] is not None and corrections[i].moves:
                steps.step(
                    "Lining the result up with the picture"
                    + (f" ({i + 1} of {len(paths)})" if len(paths) > 1 else "")
                )
                layers[i] = _moved(layer, box, corrections[i], steps)
            elif _needs_scale(layer, box, corrections[i]):
                steps.step(
                    f"Scaling the result to {box.width}×{box.height}"
                    + (f" ({i + 1} of {len(paths)})" if len(paths) > 1 else "")
                )
                layers[i] = _scaled(layer, box, steps)
    except Exception:
        for layer in layers:  # not in the image: nothing to undo, only to free
            if layer.is_valid():
                layer.delete()
        raise
    if mask is not None and corrections and corrections[0] is not None and corrections[0].mask is not None:
        mask = corrections[0].mask  # the selection with its soft edge
    parent = above.get_parent() if above is not None else None
    position = image.get_item_position(above) if above is not None else 0
    steps.step("Adding the layer")
    image.undo_group_start()
    target = None
    try:
        if len(layers) == 1:
            target = layers[0]
            target.set_name(name)
            image.insert_layer(target, parent, position)
            target = _place(target, box, corrections[0], steps)
        else:
            target = Gimp.GroupLayer.new(image, name)
            image.insert_layer(target, parent, position)
            for i, layer in enumerate(layers):
                layer.set_name(f"{name} #{i + 1}")
                image.insert_layer(layer, target, i)
                layer = _place(layer, box, corrections[i], steps)
                # one visible variation; the others wait in the group to be switched on
                layer.set_visible(i == 0)
        if mask is not None:
            steps.step("Masking the result to the selection")
            _mask_from_bytes(target, mask, box)
    except Exception:
        # never leave half an insertion behind (a layer without its mask, a group missing variations)
        if target is not None and target.is_valid():
            image.remove_layer(target)
        raise
    finally:
        image.undo_group_end()
    steps.step("Showing the result")
    Gimp.displays_flush()
    return target
