"""Read what an edit needs from GIMP, on the plug-in's main thread, into plain data.

GEGL hands back raw bytes in the babl format we ask for, so grayscale, high-bit-depth and linear images all
arrive as 8-bit non-linear RGBA ("R'G'B'A u8"), which is what the providers take; the image itself is never
converted. Everything after this (PNG encoding, HTTP, waiting) happens on a worker thread from the
`Snapshot`, which holds no GIMP objects, only ids, so the worker never touches the PDB (GIMP's PDB is not
thread-safe: gitlab.gnome.org/GNOME/gimp/-/issues/7370).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp  # noqa: E402
from gptedit import recipe  # noqa: E402
from gptedit.errors import BadInput  # noqa: E402
from gptedit.geometry import Box, Plan, fit_within  # noqa: E402
from gptedit.job_context import GIMP, ColorSpace, JobContext  # noqa: E402
from gptedit.models import Size  # noqa: E402
from gptedit.settings import Settings  # noqa: E402

RGBA8 = "R'G'B'A u8"
#: the selection is a linear coverage channel; 0..255 coverage is exactly what a layer mask stores
MASK8 = "Y u8"

_gegl_ready = False


def _gegl() -> None:
    global _gegl_ready
    if not _gegl_ready:
        Gegl.init(None)
        _gegl_ready = True


@dataclass
class Pixels:
    width: int
    height: int
    rgba: bytes


@dataclass
class Snapshot:
    """The region to send, its selection mask and where the answer goes — no GIMP objects inside."""

    image_id: int
    layer_id: int
    image_name: str
    layer_name: str
    plan: Plan
    #: the context region at the size we send (plan.send_size), RGBA 8-bit
    pixels: Pixels
    #: selection coverage over plan.context, 1 byte per pixel at canvas resolution; None = no selection
    mask: bytes | None
    references: list[Pixels] = field(default_factory=list)
    #: the markup layer over the context region at the sent size, RGBA 8-bit (transparent where not drawn)
    markup: Pixels | None = None
    #: the image's file, "" while unsaved
    image_file: str = ""
    source: str = "layer"
    color: ColorSpace | None = None

    def job_context(self, session: str = "", new_layer_name: str = "") -> JobContext:
        """Placement info for the ledger: enough to insert the result again later, even from another run
        or from Krita. Image and layer ids only mean something in the GIMP process `session` names."""
        return JobContext(
            host=GIMP,
            document=self.image_file or self.image_name,
            document_name=self.image_name,
            document_id=self.image_id,
            layer=self.layer_name,
            layer_id=str(self.layer_id),
            session=session,
            canvas=Size(self.plan.canvas.width, self.plan.canvas.height),
            context_box=self.plan.context,
            selection_box=self.plan.selection,
            color=self.color,
            source=self.source,
            new_layer_name=new_layer_name,
        )


def source_layer(image, drawables) -> Gimp.Layer:
    """The layer to edit: the first selected drawable, or the layer of a selected layer mask."""
    if image is None or not image.is_valid():
        raise BadInput("There is no open image to edit.")
    if image.get_base_type() == Gimp.ImageBaseType.INDEXED:
        raise BadInput(
            "Indexed-colour images cannot take the result layer. Convert the image with "
            "Image ▸ Mode ▸ RGB (or Grayscale), then run the edit again."
        )
    candidates = list(drawables or []) or list(image.get_selected_layers() or [])
    if not candidates:
        raise BadInput("No layer is selected. Select the layer to edit in the Layers dialog.")
    item = candidates[0]
    if item.is_layer_mask():
        item = Gimp.Layer.from_mask(item)
    if not item.is_layer():
        raise BadInput("The selected item is a channel or path, not a layer. Select a layer to edit.")
    return item


def selection_box(image) -> Box | None:
    ok, non_empty, x1, y1, x2, y2 = Gimp.Selection.bounds(image)
    if not ok or not non_empty:
        return None
    return Box.from_edges(x1, y1, x2, y2)


def read_region(drawable, box: Box, send_w: int, send_h: int, origin=(0, 0)) -> bytes:
    """RGBA bytes of canvas region `box` from `drawable` (whose top-left sits at `origin`), scaled to
    send_w x send_h. Outside the drawable the result is transparent (abyss NONE), like the canvas there."""
    _gegl()
    buf = drawable.get_buffer()
    x, y = box.x - origin[0], box.y - origin[1]
    if (send_w, send_h) == (box.width, box.height):
        rect, scale = Gegl.Rectangle.new(x, y, box.width, box.height), 1.0
    else:
        # GEGL scales while it reads (box-filtered mip levels): far faster than a Python resize, and the
        # rectangle is given in the scaled coordinate space.
        scale = send_w / box.width
        rect = Gegl.Rectangle.new(round(x * scale), round(y * scale), send_w, send_h)
    data = bytes(buf.get(rect, scale, RGBA8, Gegl.AbyssPolicy.NONE))
    expected = send_w * send_h * 4
    if len(data) != expected:
        raise BadInput(
            f"GIMP returned {len(data)} bytes for a {send_w}x{send_h} region; expected {expected}."
        )
    return data


def read_selection(image, box: Box) -> bytes:
    _gegl()
    buf = image.get_selection().get_buffer()
    rect = Gegl.Rectangle.new(box.x, box.y, box.width, box.height)
    return bytes(buf.get(rect, 1.0, MASK8, Gegl.AbyssPolicy.NONE))


def read_reference(layer_id: int, max_side: int) -> Pixels:
    layer = Gimp.Layer.get_by_id(layer_id)
    if layer is None or not layer.is_valid():
        raise BadInput("A reference layer no longer exists; choose another one.")
    w, h = layer.get_width(), layer.get_height()
    send = fit_within(w, h, max_side)
    _, ox, oy = layer.get_offsets()
    return Pixels(
        send.width, send.height, read_region(layer, Box(ox, oy, w, h), send.width, send.height, (ox, oy))
    )


def read_markup(image, layer, markup_id: int, box: Box, send_w: int, send_h: int, source: str) -> Pixels:
    """The markup layer over the context region, scaled like the picture, so every stroke stays over what it
    points at. The layer is only read: its pixels and visibility stay as the user left them."""
    markup = Gimp.Layer.get_by_id(markup_id)
    if markup is None or not markup.is_valid() or markup.get_image() != image:
        raise BadInput("The markup layer is not a layer of this image; choose one of its layers.")
    name = markup.get_name() or "markup"
    if markup.get_id() == layer.get_id():
        raise BadInput(f"“{name}” is the layer being edited; draw the markup on a layer of its own.")
    if source == "visible" and markup.get_visible():
        raise BadInput(
            f"The markup layer “{name}” is visible, so its strokes would be part of the visible image "
            "sent. Hide it (it is still sent as markup) or send the current layer."
        )
    if not markup.has_alpha():
        raise BadInput(
            f"“{name}” has no transparency, so all of it would count as markup. Draw on a layer "
            "with an alpha channel (Layer ▸ Transparency ▸ Add Alpha Channel)."
        )
    _, ox, oy = markup.get_offsets()
    rgba = read_region(markup, box, send_w, send_h, (ox, oy))
    if not any(rgba[3::4]):
        raise BadInput(f"Nothing is drawn on the markup layer “{name}” in the area being edited.")
    return Pixels(send_w, send_h, rgba)


def plan_for(image, settings: Settings, use_selection: bool = True) -> Plan:
    """The recipe's plan for this image and its current selection (also what the dialog's estimate uses)."""
    sel = selection_box(image) if use_selection else None
    return recipe.plan_for(settings, image.get_width(), image.get_height(), sel)


def take_snapshot(
    image,
    layer,
    settings: Settings,
    *,
    source: str = "layer",
    use_selection: bool = True,
    reference_ids=(),
    markup_id: int = 0,
) -> Snapshot:
    """Plan the edit and read its pixels; raises BadInput with a message for people."""
    plan = plan_for(image, settings, use_selection)
    max_send_side = settings.max_send_side
    send = plan.send_size
    if source == "visible":
        # A layer made from the projection, never inserted: no undo step, deleted right after reading.
        visible = Gimp.Layer.new_from_visible(image, image, "gptedit visible")
        try:
            rgba = read_region(visible, plan.context, send.width, send.height)
        finally:
            visible.delete()
    else:
        _, ox, oy = layer.get_offsets()
        rgba = read_region(layer, plan.context, send.width, send.height, (ox, oy))
    mask = read_selection(image, plan.context) if plan.selection is not None else None
    markup = (
        read_markup(image, layer, markup_id, plan.context, send.width, send.height, source)
        if markup_id
        else None
    )
    # the markup layer is an instruction, not a picture of the scene: never also a reference
    refs = [read_reference(i, max_send_side) for i in reference_ids if i not in (layer.get_id(), markup_id)]
    return Snapshot(
        image_id=image.get_id(),
        layer_id=layer.get_id(),
        image_name=image.get_name() or "",
        layer_name=layer.get_name() or "",
        plan=plan,
        pixels=Pixels(send.width, send.height, rgba),
        mask=mask,
        references=refs,
        markup=markup,
        image_file=_image_file(image),
        source=source,
        color=_color(image),
    )


def _color(image) -> ColorSpace | None:
    """The image's mode, precision and profile as GIMP names them (for the ledger; never needed to edit)."""
    try:
        profile = image.get_effective_color_profile()
        return ColorSpace(
            image.get_base_type().value_nick,
            image.get_precision().value_nick,
            (profile.get_label() or "") if profile is not None else "",
        )
    except Exception:  # noqa: BLE001 - a label for people only; an edit must not fail over it
        return None


def _image_file(image) -> str:
    try:
        file = image.get_file()
        return (file.get_path() or "") if file is not None else ""
    except Exception:  # noqa: BLE001 - a label for people only; an edit must not fail over it
        return ""
