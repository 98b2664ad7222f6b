"""Colour spaces: everything is sent as 8-bit sRGB and comes back as 8-bit sRGB; documents in other
models or depths are converted by Krita itself, never by hand.

Why Krita does the conversion: float documents default to a LINEAR profile (host-apis.md §A5), so scaling
floats to bytes gives dark, wrong pictures, and CMYK/Lab need real colour management. Krita converts
correctly when asked: `Document.projection()` renders to an sRGB QImage, and `Document.setColorSpace()`
converts a whole (temporary) document. So a layer in an unusual space is copied into a small scratch
document of the same space, rendered to sRGB there; a result is written into a scratch sRGB document,
converted to the target space there, and its bytes copied out. All of this is GUI-thread work, but it is
C++ work on the size of the edit region only.
"""

from __future__ import annotations

from dataclasses import dataclass

from gptedit.errors import BadInput

from .qt import FORMAT_ARGB32, QByteArray, QImage, image_bytes

#: bytes per channel for Krita's depth names
_DEPTH_BYTES = {"U8": 1, "U16": 2, "F16": 2, "F32": 4}
_CHANNELS = {"RGBA": 4, "GRAYA": 2, "CMYKA": 5, "LABA": 4, "XYZA": 4, "YCbCrA": 4, "A": 1}


@dataclass(frozen=True)
class ColorInfo:
    model: str
    depth: str
    profile: str

    @property
    def native_srgb8(self) -> bool:
        """Krita's bytes are already what we send (B,G,R,A, 8 bit). A non-sRGB 8-bit RGB profile is
        treated as sRGB too: the difference is small, and converting would change untouched pixels."""
        return self.model == "RGBA" and self.depth == "U8"

    @property
    def pixel_bytes(self) -> int:
        try:
            return _DEPTH_BYTES[self.depth] * _CHANNELS[self.model]
        except KeyError:
            raise BadInput(f"Krita colour space {self.model}/{self.depth} is not supported.") from None

    def label(self) -> str:
        return f"{self.model} {self.depth}" + (f" ({self.profile})" if self.profile else "")


def color_info(doc) -> ColorInfo:
    return ColorInfo(doc.colorModel(), doc.colorDepth(), doc.colorProfile())


def _qimage_bgra(img, w: int, h: int) -> bytes:
    if img.isNull():
        raise BadInput("Krita returned no picture for the area to edit.")
    img = img.convertToFormat(FORMAT_ARGB32)
    if img.width() != w or img.height() != h:
        raise BadInput(f"Krita returned a {img.width()}x{img.height()} picture, expected {w}x{h}.")
    return image_bytes(img)


def _scratch(width: int, height: int, color: ColorInfo, name: str):
    from krita import Krita

    doc = Krita.instance().createDocument(width, height, name, color.model, color.depth, color.profile, 72.0)
    if doc is None:
        raise BadInput(f"Krita could not make a scratch {color.label()} image for the colour conversion.")
    doc.setBatchmode(True)
    return doc


def read_node_srgb8(doc, node, box) -> bytes:
    """The node (with its masks and children applied) over `box`, as sRGB 8-bit B,G,R,A bytes."""
    info = color_info(doc)
    raw = bytes(node.projectionPixelData(box.x, box.y, box.width, box.height))
    if info.native_srgb8:
        return raw
    scratch = _scratch(box.width, box.height, info, "gptedit-read")
    try:
        layer = scratch.rootNode().childNodes()[0]
        layer.setPixelData(QByteArray(raw), 0, 0, box.width, box.height)
        scratch.refreshProjection()
        return _qimage_bgra(scratch.projection(0, 0, box.width, box.height), box.width, box.height)
    finally:
        scratch.close()


def read_visible_srgb8(doc, box) -> bytes:
    """The composited image over `box` as sRGB 8-bit B,G,R,A bytes."""
    info = color_info(doc)
    if info.native_srgb8:
        return bytes(doc.pixelData(box.x, box.y, box.width, box.height))
    return _qimage_bgra(doc.projection(box.x, box.y, box.width, box.height), box.width, box.height)


def srgb8_to_document(doc, bgra: bytes, width: int, height: int) -> bytes:
    """sRGB 8-bit B,G,R,A bytes → the document's own pixel format (what `Node.setPixelData` expects)."""
    info = color_info(doc)
    if info.native_srgb8:
        return bgra
    scratch = _scratch(width, height, ColorInfo("RGBA", "U8", ""), "gptedit-write")
    try:
        scratch.rootNode().childNodes()[0].setPixelData(QByteArray(bgra), 0, 0, width, height)
        scratch.setColorSpace(info.model, info.depth, info.profile)
        scratch.waitForDone()
        out = bytes(scratch.rootNode().childNodes()[0].pixelData(0, 0, width, height))
    finally:
        scratch.close()
    if len(out) != width * height * info.pixel_bytes:
        raise BadInput(f"Converting the result to {info.label()} gave {len(out)} bytes, expected "
                       f"{width * height * info.pixel_bytes}.")
    return out


def bgra_qimage(bgra: bytes, width: int, height: int):
    """A QImage owning a copy of B,G,R,A bytes (QImage's ARGB32 on little-endian machines)."""
    return QImage(bgra, width, height, width * 4, FORMAT_ARGB32).copy()
