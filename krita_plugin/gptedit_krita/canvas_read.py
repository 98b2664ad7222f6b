"""Read what an edit needs from the open document, on the GUI thread, and nothing slow.

Only krita calls that copy pixels out in C++ happen here (`pixelData`, `projectionPixelData`,
`Selection.pixelData`); encoding to PNG, scaling and the network all happen later on a worker thread
(worker.py). The result is a `Snapshot`: plain bytes plus the geometry plan, safe to hand to another thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gptedit import recipe
from gptedit.errors import BadInput
from gptedit.geometry import Box, Plan
from gptedit.job_context import KRITA, ColorSpace, JobContext
from gptedit.models import Size
from gptedit.settings import Settings

from . import colors

#: What is sent as the picture to edit.
SOURCES = ("layer", "visible")


@dataclass
class Snapshot:
    """Everything the worker needs, copied out of Krita (no krita objects inside)."""

    doc_name: str
    doc_path: str
    canvas_w: int
    canvas_h: int
    plan: Plan
    #: sRGB 8-bit pixels of the context box, B,G,R,A (QImage Format_ARGB32 layout)
    pixels: bytes
    #: selectedness (0–255) over the context box, or None without a selection
    mask: bytes | None
    node_name: str
    node_uid: str
    source: str
    color: colors.ColorInfo
    #: other visible layers as references: (name, BGRA bytes of the context box)
    references: list[tuple[str, bytes]] = field(default_factory=list)
    #: the layer chosen as Markup, B,G,R,A over the context box (transparent where nothing is drawn)
    markup: bytes | None = None
    markup_name: str = ""

    def job_context(self) -> JobContext:
        """What the ledger stores to put the result back later (Insert again, resume after a crash, or
        Recent results in GIMP)."""
        return JobContext(
            host=KRITA,
            document=self.doc_path or self.doc_name,
            document_name=self.doc_name,
            layer=self.node_name,
            layer_id=self.node_uid,
            canvas=Size(self.canvas_w, self.canvas_h),
            context_box=self.plan.context,
            selection_box=self.plan.selection,
            color=ColorSpace(self.color.model, self.color.depth, self.color.profile),
            source=self.source,
        )

    def context(self) -> dict:
        """The same, as the ledger writes it."""
        return self.job_context().to_json()


def selection_box(doc) -> Box | None:
    """The global selection's bounding box, or None when nothing (or everything) is selected."""
    sel = doc.selection()
    if sel is None or sel.width() <= 0 or sel.height() <= 0:
        return None
    return Box(sel.x(), sel.y(), sel.width(), sel.height())


def paint_target(doc):
    """The layer an edit starts from: the active node, or the layer owning an active mask."""
    node = doc.activeNode()
    if node is None:
        # A view that has just opened has no current node for a moment; scripts hit that window.
        return paint_target_top(doc)
    if node.type().endswith("mask"):
        parent = node.parentNode()
        # the global selection mask hangs off the root: fall back to the top layer
        return parent if parent is not None and parent.parentNode() is not None else paint_target_top(doc)
    return node


def paint_target_top(doc):
    layers = [n for n in doc.rootNode().childNodes() if not n.type().endswith("mask")]
    return layers[-1] if layers else None


def _layer_is_empty(node, box: Box) -> bool:
    bounds = node.bounds()
    return (
        bounds.width() <= 0
        or bounds.height() <= 0
        or Box(bounds.x(), bounds.y(), bounds.width(), bounds.height()).intersect(box).empty
    )


def find_layer(doc, wanted):
    """A layer given as a node, a unique id or a name (the topmost of that name), or None for none."""
    if wanted is None or wanted == "":
        return None
    if not isinstance(wanted, str):
        return wanted
    by_name = None
    stack = list(doc.rootNode().childNodes())  # bottom to top: popping visits the topmost first
    while stack:
        node = stack.pop()
        if node.uniqueId().toString() == wanted:
            return node
        if by_name is None and node.name() == wanted:
            by_name = node
        stack.extend(node.childNodes())
    if by_name is None:
        raise BadInput(f"There is no layer “{wanted}” to use as markup.")
    return by_name


def markup_layers(doc) -> list:
    """Paint layers that can be chosen as Markup, top to bottom (groups opened)."""
    out = []

    def walk(parent):
        for node in reversed(parent.childNodes()):
            if node.type() == "paintlayer":
                out.append(node)
            elif node.type() == "grouplayer":
                walk(node)

    if doc is not None:
        walk(doc.rootNode())
    return out


def read_markup(doc, markup, node, box: Box, source: str) -> bytes:
    """The markup layer over the context box as sRGB B,G,R,A. The layer is only read: its pixels and its
    visibility stay as the user left them. Refused when it is the layer being edited, when its strokes
    would also be baked into the visible image sent, or when nothing is drawn in the box."""
    if markup.type() != "paintlayer":
        raise BadInput(f"“{markup.name()}” is not a paint layer; draw the markup on a paint layer.")
    if node is not None and markup.uniqueId().toString() == node.uniqueId().toString():
        raise BadInput(f"“{markup.name()}” is the layer being edited; draw the markup on a layer of its own.")
    if source == "visible" and markup.visible():
        raise BadInput(
            f"The markup layer “{markup.name()}” is visible, so its strokes would be part of the "
            "visible image sent. Hide it (it is still sent as markup) or send the active layer."
        )
    pixels = colors.read_node_srgb8(doc, markup, box)
    if not any(pixels[3::4]):
        raise BadInput(f"Nothing is drawn on the markup layer “{markup.name()}” in the area being edited.")
    return pixels


def read_snapshot(
    doc, settings: Settings, *, source: str = "layer", node=None, references: bool = False, markup=None
) -> Snapshot:
    """Plan the edit and copy the pixels out. Raises BadInput with a message for people."""
    if doc is None:
        raise BadInput("No document is open. Open or create an image first.")
    if source not in SOURCES:
        raise BadInput(f"Unknown source {source!r}; choose one of {', '.join(SOURCES)}.")
    node = node or paint_target(doc)
    if source == "layer" and node is None:
        raise BadInput("No layer is active. Click a layer in the Layers docker first.")
    w, h = doc.width(), doc.height()
    plan = recipe.plan_for(settings, w, h, selection_box(doc))
    box = plan.context
    color = colors.color_info(doc)
    color.require_supported()
    if source == "layer":
        if _layer_is_empty(node, box):
            raise BadInput(
                f"The layer “{node.name()}” has no pixels in the area to edit. "
                "Pick a layer with content, or send the visible image instead."
            )
        pixels = colors.read_node_srgb8(doc, node, box)
    else:
        pixels = colors.read_visible_srgb8(doc, box)
        if not any(pixels[3::4]):
            raise BadInput("Nothing is visible in the area to edit; the document is empty there.")
    mask = None
    if plan.selection is not None:
        mask = bytes(doc.selection().pixelData(box.x, box.y, box.width, box.height))
    markup_node = find_layer(doc, markup)
    markup_pixels = read_markup(doc, markup_node, node, box, source) if markup_node is not None else None
    refs: list[tuple[str, bytes]] = []
    if references:
        refs = _reference_layers(
            doc, node, box, max_count=recipe.what_to_send(settings).references, skip=markup_node
        )
    return Snapshot(
        doc_name=doc.name() or "Untitled",
        doc_path=doc.fileName() or "",
        canvas_w=w,
        canvas_h=h,
        plan=plan,
        pixels=pixels,
        mask=mask,
        node_name=node.name() if node is not None else "",
        source=source,
        node_uid=node.uniqueId().toString() if node is not None else "",
        color=color,
        references=refs,
        markup=markup_pixels,
        markup_name=markup_node.name() if markup_node is not None else "",
    )


def _reference_layers(doc, current, box: Box, max_count: int, skip=None) -> list[tuple[str, bytes]]:
    """The other visible top-level paint/group layers with pixels in the box: extra context for the model
    (the API's "reference images"). Skipped: the edited layer, hidden, empty and single-colour ones."""
    out: list[tuple[str, bytes]] = []
    cur_id = current.uniqueId().toString() if current is not None else ""
    # the markup layer is an instruction, not a picture of the scene
    skip_id = skip.uniqueId().toString() if skip is not None else ""
    for node in reversed(doc.rootNode().childNodes()):
        if len(out) >= max_count:
            break
        if (
            node.uniqueId().toString() in (cur_id, skip_id)
            or not node.visible()
            or node.type().endswith("mask")
        ):
            continue
        if _layer_is_empty(node, box):
            continue
        pixels = colors.read_node_srgb8(doc, node, box)
        if pixels == pixels[:4] * (len(pixels) // 4):
            continue  # a flat fill (the white background) tells the model nothing and costs input tokens
        out.append((node.name(), pixels))
    return out
