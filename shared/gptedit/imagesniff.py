"""Recognise an image from its bytes, read its pixel size and make sure it is whole.

Everything a provider sends back passes through here before it is saved or handed to Krita/GIMP: an
HTML error page with a 200 status, a download cut short by a proxy, or base64 that decodes to noise must
become a clear `BadResponse`, not a crash deep inside a host's image loader. Pure stdlib (the core may not
use Pillow), and only the container structure is checked, not the compressed pixel data.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import BadResponse

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "png" | "jpeg" | "webp" | "gif"
    width: int
    height: int

    @property
    def mime(self) -> str:
        return "image/" + self.format

    @property
    def extension(self) -> str:
        return "jpg" if self.format == "jpeg" else self.format


def _damaged(what: str) -> BadResponse:
    return BadResponse(f"The provider sent a damaged image ({what}). Try the edit again.")


def sniff_format(data: bytes) -> str | None:
    """The format by its magic number, without checking the rest."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def identify(data: bytes) -> ImageInfo:
    """Format and size of a complete image; `BadResponse` if it is not one or is cut short."""
    if not data:
        raise _damaged("it is empty")
    fmt = sniff_format(data)
    if fmt == "png":
        return _png(data)
    if fmt == "jpeg":
        return _jpeg(data)
    if fmt == "webp":
        return _webp(data)
    if fmt == "gif":
        return _gif(data)
    head = data[:64].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"{", b"[")):
        raise BadResponse(
            "The provider sent a web page or an error message where an image was expected. "
            "The result link may have expired; try the edit again."
        )
    raise _damaged("not a PNG, JPEG, WebP or GIF file")


def check_image(data: bytes) -> ImageInfo:
    """`identify` that also refuses images with an empty side."""
    info = identify(data)
    if info.width <= 0 or info.height <= 0:
        raise _damaged(f"it claims to be {info.width}x{info.height} pixels")
    return info


#: the name the job layer uses: identify and check in one call
sniff = check_image


def _png(data: bytes) -> ImageInfo:
    # Walk the chunk list: a truncated file fails at a chunk whose length runs past the end, and a
    # whole file ends with IEND (length 0, fixed CRC). Trailing bytes after IEND are tolerated.
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise _damaged("the PNG header is missing")
    width, height = struct.unpack(">II", data[16:24])
    pos = 8
    n = len(data)
    while True:
        if pos + 12 > n:
            raise _damaged("the PNG file is cut short")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        ctype = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > n:
            raise _damaged("the PNG file is cut short")
        if ctype == b"IEND":
            break
        pos = end
    return ImageInfo("png", width, height)


# JPEG start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not
# frames
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data: bytes) -> ImageInfo:
    # Encoders and CDNs sometimes pad after EOI; accept trailing NUL/whitespace padding only.
    tail = data.rstrip(b"\x00\r\n \t")
    if not tail.endswith(b"\xff\xd9"):
        raise _damaged("the JPEG file is cut short")
    pos = 2
    n = len(data)
    while pos < n:
        if data[pos] != 0xFF:
            raise _damaged("the JPEG structure is broken")
        while pos < n and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            break
        marker = data[pos]
        pos += 1
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue  # markers without a length
        if marker in (0xD9, 0xDA):
            break  # end of image or start of scan before a frame header: no size found
        if pos + 2 > n:
            break
        (seglen,) = struct.unpack(">H", data[pos : pos + 2])
        if marker in _SOF:
            if pos + 7 > n:
                break
            height, width = struct.unpack(">HH", data[pos + 3 : pos + 7])
            return ImageInfo("jpeg", width, height)
        if seglen < 2:
            break
        pos += seglen
    raise _damaged("the JPEG file has no frame header")


def _webp(data: bytes) -> ImageInfo:
    (riff_size,) = struct.unpack("<I", data[4:8])
    # RIFF size counts everything after the first 8 bytes; chunks are padded to even lengths, so a
    # writer may add one pad byte the size field does not cover.
    if riff_size + 8 > len(data):
        raise _damaged("the WebP file is cut short")
    if riff_size + 8 < len(data) - 1:
        raise _damaged("the WebP file has unexpected data at its end")
    if len(data) < 30:
        raise _damaged("the WebP header is missing")
    chunk = data[12:16]
    body = data[20:]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(body[4:7], "little")
        height = 1 + int.from_bytes(body[7:10], "little")
    elif chunk == b"VP8L":
        if body[0:1] != b"\x2f":
            raise _damaged("the lossless WebP header is broken")
        bits = int.from_bytes(body[1:5], "little")
        width = (bits & 0x3FFF) + 1
        height = ((bits >> 14) & 0x3FFF) + 1
    elif chunk == b"VP8 ":
        if body[3:6] != b"\x9d\x01\x2a":
            raise _damaged("the lossy WebP header is broken")
        width = int.from_bytes(body[6:8], "little") & 0x3FFF
        height = int.from_bytes(body[8:10], "little") & 0x3FFF
    else:
        raise _damaged("the WebP file has no image chunk")
    return ImageInfo("webp", width, height)


def _gif(data: bytes) -> ImageInfo:
    if len(data) < 14:
        raise _damaged("the GIF header is missing")
    width, height = struct.unpack("<HH", data[6:10])
    if not data.rstrip(b"\x00").endswith(b"\x3b"):
        raise _damaged("the GIF file is cut short")
    return ImageInfo("gif", width, height)
