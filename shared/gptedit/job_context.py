"""Where a job's picture came from and where its answer goes: the one record every front end writes into
the shared ledger and every front end reads back, so a job made in GIMP can be inserted from Krita's
History (and the reverse) at the same place, with its selection.

The ledger stores it as JSON (`to_json`). `from_json` also reads the key names the hosts wrote before
this record existed (Krita: `context_box`, `selection_box`, `layer_uid`, `color` as a list; GIMP: `context`,
`selection`, `image_id`, `image_name`, `layer_name`, `gimp_pid`, `layer_name_new`, `mask_file`; the command
line: `input`, `output`), so results made by older versions can still be inserted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .geometry import Box
from .models import Size

#: front ends that write a context (`host`)
KRITA, GIMP, CLI = "krita", "gimp", "cli"


@dataclass(frozen=True)
class ColorSpace:
    """The document's colour space as its host names it (the picture is always sent as 8-bit sRGB)."""

    model: str = ""
    depth: str = ""
    profile: str = ""


@dataclass
class JobContext:
    #: which front end made the job: "krita", "gimp" or "cli"
    host: str = ""
    #: the document's file path, or its name while unsaved
    document: str = ""
    document_name: str = ""
    #: the host's id for the open document (GIMP's image id); only meaningful in `session`
    document_id: int | None = None
    #: the source layer's name and its host id (Krita's unique id, GIMP's layer id as text)
    layer: str = ""
    layer_id: str = ""
    #: the host process the ids belong to (ids restart with every GIMP session)
    session: str = ""
    canvas: Size | None = None
    #: the canvas region that was sent: the answer is placed back exactly here
    context_box: Box | None = None
    #: the selection's bounding box, clipped to the canvas
    selection_box: Box | None = None
    color: ColorSpace | None = None
    #: what was sent: "layer", "visible" or "history" (a saved result edited again)
    source: str = ""
    #: the name the inserted layer gets
    new_layer_name: str = ""
    #: command line: the input file and the output it was asked to write
    input: str = ""
    output: str = ""
    #: keys this version does not know, kept as they were read
    extra: dict = field(default_factory=dict)
    #: where an older GIMP kept the selection (read only; new jobs keep it through `Ledger.save_selection`)
    legacy_mask_file: str = ""

    def to_json(self) -> dict:
        out: dict = dict(self.extra)
        for name in (
            "host",
            "document",
            "document_name",
            "layer",
            "layer_id",
            "session",
            "source",
            "new_layer_name",
            "input",
            "output",
        ):
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.document_id is not None:
            out["document_id"] = self.document_id
        if self.canvas is not None:
            out["canvas"] = [self.canvas.width, self.canvas.height]
        out["context_box"] = _box_json(self.context_box)
        out["selection_box"] = _box_json(self.selection_box)
        if self.color is not None:
            c = self.color
            out["color"] = {"model": c.model, "depth": c.depth, "profile": c.profile}
        if self.legacy_mask_file:
            out["mask_file"] = self.legacy_mask_file
        return out

    @classmethod
    def from_json(cls, data: dict | None) -> JobContext:
        d = dict(data or {})
        known = {
            "host",
            "document",
            "document_name",
            "document_id",
            "layer",
            "layer_id",
            "session",
            "canvas",
            "context_box",
            "selection_box",
            "color",
            "source",
            "new_layer_name",
            "input",
            "output",
            # the older names
            "layer_uid",
            "image_id",
            "image_name",
            "layer_name",
            "gimp_pid",
            "layer_name_new",
            "context",
            "selection",
            "mask_file",
            "mask_size",
            "prompt",
        }
        host = _text(d.get("host"))
        if not host:
            # older Krita records named no host but always held "layer_uid"; the command line's "input"
            host = KRITA if "layer_uid" in d else CLI if "input" in d else ""
        legacy_gimp = "image_id" in d or "gimp_pid" in d
        canvas = d.get("canvas")
        return cls(
            host=host,
            document=_text(d.get("document")),
            document_name=_text(d.get("document_name") or d.get("image_name")),
            document_id=_int(d.get("document_id", d.get("image_id"))),
            # GIMP wrote the source layer's name as "layer_name" (and its new layer's as "layer_name_new")
            layer=_text(d.get("layer") or d.get("layer_name")),
            layer_id=_text(d.get("layer_id") if d.get("layer_id") is not None else d.get("layer_uid")),
            session=_text(d.get("session") or (d.get("gimp_pid") if legacy_gimp else "")),
            canvas=Size(int(canvas[0]), int(canvas[1])) if _pair(canvas) else None,
            context_box=_box(d.get("context_box")) or _box(d.get("context")),
            selection_box=_box(d.get("selection_box")) or _box(d.get("selection")),
            color=_color(d.get("color")),
            source=_text(d.get("source")),
            new_layer_name=_text(d.get("new_layer_name") or d.get("layer_name_new")),
            input=_text(d.get("input")),
            output=_text(d.get("output")),
            extra={k: v for k, v in d.items() if k not in known},
            legacy_mask_file=_text(d.get("mask_file")),
        )

    def in_session(self, host: str, session: str) -> bool:
        """Whether the recorded document and layer ids belong to this very host process."""
        return self.host == host and bool(self.session) and self.session == str(session)


def _box_json(box: Box | None) -> list[int] | None:
    return None if box is None else [box.x, box.y, box.width, box.height]


def _box(value) -> Box | None:
    if isinstance(value, (list, tuple)) and len(value) == 4 and all(isinstance(v, int) for v in value):
        box = Box(*value)
        return None if box.empty else box
    return None


def _pair(value) -> bool:
    return isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) for v in value)


def _color(value) -> ColorSpace | None:
    if isinstance(value, dict):
        return ColorSpace(_text(value.get("model")), _text(value.get("depth")), _text(value.get("profile")))
    if isinstance(value, (list, tuple)) and len(value) == 3:
        return ColorSpace(*(_text(v) for v in value))
    return None


def _text(value) -> str:
    return "" if value is None else str(value)


def _int(value) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None
