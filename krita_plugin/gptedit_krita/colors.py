"""Colour spaces: everything is sent as 8-bit sRGB and comes back as 8-bit sRGB; documents in other
models or depths are converted by Krita itself, never by hand.

Why Krita does the conversion: float documents default to a LINEAR profile (docs/hosts.md "Krita: colour
spaces"), so scaling floats to bytes gives dark, wrong pictures, and CMYK/Lab need real colour management.
Krita converts correctly when asked: `Document.projection()` renders to an sRGB QImage, and
`Document.setColorSpace()` converts a whole (temporary) document. So a layer in an unusual space is copied
into a small scratch document of the same space, rendered to sRGB there; a result is written into a scratch
sRGB document, converted to the target space there, and its bytes copied out. All of this is GUI-thread work,
and each conversion costs ~100-300 ms of it even for a few rows (the scratch document), 0.3-1.5 s at 1024²
and 2.5-10 s at 4096² (measured in Krita 5.3 and 6.0 on a loaded 2-core machine).

One exception, because it is plain arithmetic: a result for an RGB document at 16 bit or float whose
profile has sRGB's primaries and either sRGB's tone curve or a linear one (Krita's float default) is
computed on the worker (`srgb8_to_native`): each 8-bit level maps to one 16-bit or float value through
sRGB's published curve (IEC 61966-2-1; https://en.wikipedia.org/wiki/SRGB#Transfer_function_(%22gamma%22)),
so the GUI thread only writes ready bytes. tests/krita checks the result against Krita's own rendering.
"""

from __future__ import annotations

import struct
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
        """Krita's bytes are already what we send (B,G,R,A, 8-bit sRGB). Only for an sRGB profile: the
        bytes of an 8-bit wide-gamut or linear profile are not sRGB, and sending them as such showed the
        model washed-out or dark colours (a linear 8-bit profile was off by ~65 levels on average, measured
        in Krita 5.2/5.3), and an edit's new colours came back wrong the other way. Converting costs one
        8-bit round trip (measured: identical for 99 % of pixels, a few single levels off)."""
        return self.model == "RGBA" and self.depth == "U8" and is_srgb_profile(self.profile)

    @property
    def pixel_bytes(self) -> int:
        try:
            return _DEPTH_BYTES[self.depth] * _CHANNELS[self.model]
        except KeyError:
            raise BadInput(
                f"This image's colour space ({self.model} {self.depth}) is not supported. Convert "
                "it with Image ▸ Convert Image Color Space… (RGB, CMYK, Lab and grey work) and try "
                "again."
            ) from None

    def require_supported(self) -> None:
        """Refuse an unknown colour model BEFORE anything is sent (not after paying, at insert time)."""
        self.pixel_bytes  # noqa: B018 - raises BadInput for a model/depth we cannot write back

    def label(self) -> str:
        return f"{self.model} {self.depth}" + (f" ({self.profile})" if self.profile else "")


def is_srgb_profile(name: str) -> bool:
    """Whether an RGB profile name means plain sRGB. Krita names its own "sRGB built-in" and
    "sRGB-elle-V2-srgbtrc.icc"; files bring "sRGB IEC61966-2.1" and the like. The look-alikes with another
    tone curve or gamut are excluded ("sRGB-elle-V2-g10", "…sRGB built-in with linear gamma TRC", scRGB,
    esRGB). An sRGB profile not recognised here is merely converted (exact up to 8-bit rounding), so the
    test errs on the safe side."""
    n = name.lower()
    if not n:
        return True  # Krita's default for a new RGBA/U8 image: sRGB built-in
    return "srgb" in n and not any(t in n for t in ("g10", "linear", "scrgb", "esrgb"))


def is_linear_srgb_profile(name: str) -> bool:
    """Krita's linear profile with sRGB's primaries (its default for float images)."""
    return "srgb-elle-v2-g10" in name.lower()


def _srgb_to_linear(x: float) -> float:
    return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4


#: bytes per channel, pack format, and where B, G, R, A of our B,G,R,A input go in Krita's pixel: its 16-bit
#: RGB keeps Qt's B,G,R,A order, its half and single floats are R,G,B,A
_NATIVE_FORMATS = {
    "U16": (2, "<H", (0, 1, 2, 3)),
    "F16": (2, "<e", (2, 1, 0, 3)),
    "F32": (4, "<f", (2, 1, 0, 3)),
}


def srgb8_to_native(color: ColorInfo, bgra: bytes) -> bytes | None:
    """sRGB 8-bit B,G,R,A → the pixel bytes of an RGB document at 16 bit or float with an sRGB or linear-sRGB
    profile, without Krita (safe on any thread); None for any other space (Krita converts those)."""
    if color.model != "RGBA" or color.depth not in _NATIVE_FORMATS or not color.profile:
        return None
    if is_srgb_profile(color.profile):
        colour = [v / 255 for v in range(256)]
    elif is_linear_srgb_profile(color.profile):
        colour = [_srgb_to_linear(v / 255) for v in range(256)]
    else:
        return None
    alpha = [v / 255 for v in range(256)]
    size, fmt, places = _NATIVE_FORMATS[color.depth]
    integer = fmt == "<H"
    stride = 4 * size
    out = bytearray(len(bgra) // 4 * stride)
    for channel, values in enumerate((colour, colour, colour, alpha)):
        encoded = [struct.pack(fmt, round(x * 65535) if integer else x) for x in values]
        levels = bgra[channel::4]
        for byte in range(size):
            # one C-level pass per output byte: a 256-entry table turns each 8-bit level into that byte
            table = bytes(e[byte] for e in encoded)
            out[places[channel] * size + byte :: stride] = levels.translate(table)
    return bytes(out)


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
        raise BadInput(
            f"Converting the result to {info.label()} gave {len(out)} bytes, expected "
            f"{width * height * info.pixel_bytes}."
        )
    return out


def bgra_qimage(bgra: bytes, width: int, height: int):
    """A QImage owning a copy of B,G,R,A bytes (QImage's ARGB32 on little-endian machines)."""
    return QImage(bgra, width, height, width * 4, FORMAT_ARGB32).copy()
