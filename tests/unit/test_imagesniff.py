"""Whatever a provider sends is recognised as a whole PNG/JPEG/WebP/GIF, or refused with a clear error."""

from __future__ import annotations

import io

import pytest
from gptedit.errors import BadResponse
from gptedit.imagesniff import check_image, identify, sniff, sniff_format
from PIL import Image


def encode(fmt: str, size=(37, 23), mode="RGBA", **kw) -> bytes:
    img = Image.new(mode, size, (200, 30, 90, 128) if mode == "RGBA" else (200, 30, 90))
    img.putpixel((3, 4), (0, 255, 0, 255) if mode == "RGBA" else (0, 255, 0))
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


CASES = [
    ("PNG", "RGBA", {}, "png"),
    ("JPEG", "RGB", {"quality": 80}, "jpeg"),
    ("JPEG", "RGB", {"progressive": True}, "jpeg"),
    ("WEBP", "RGBA", {"lossless": True}, "webp"),
    ("WEBP", "RGB", {"quality": 70}, "webp"),
    ("WEBP", "RGBA", {"quality": 70}, "webp"),  # lossy with alpha → VP8X
    ("GIF", "RGB", {}, "gif"),
]


@pytest.mark.parametrize("fmt,mode,kw,name", CASES)
def test_real_images_are_identified_with_their_size(fmt, mode, kw, name):
    data = encode(fmt, size=(37, 23), mode=mode, **kw)
    info = identify(data)
    assert (info.format, info.width, info.height) == (name, 37, 23)
    assert sniff_format(data) == name
    assert check_image(data) == info
    assert info.mime == "image/" + name


@pytest.mark.parametrize("fmt,mode,kw,name", CASES)
def test_truncated_images_are_refused(fmt, mode, kw, name):
    data = encode(fmt, size=(64, 48), mode=mode, **kw)
    for cut in (len(data) - 1, len(data) - 5, len(data) // 2, 20):
        with pytest.raises(BadResponse, match="damaged"):
            identify(data[:cut])


def test_large_image_size_is_read():
    data = encode("PNG", size=(3840, 16), mode="RGBA")
    assert (identify(data).width, identify(data).height) == (3840, 16)


def test_trailing_padding_is_tolerated_where_harmless():
    png = encode("PNG")
    assert identify(png + b"\x00" * 10).format == "png"  # bytes after IEND
    jpg = encode("JPEG", mode="RGB")
    assert identify(jpg + b"\x00\x00").format == "jpeg"


def test_webp_riff_length_must_match():
    data = encode("WEBP", mode="RGB")
    with pytest.raises(BadResponse):
        identify(data + b"garbage-after-the-riff-chunk")
    assert identify(data + b"\x00").format == "webp"  # one pad byte is allowed


def test_png_with_a_chunk_running_past_the_end():
    data = bytearray(encode("PNG"))
    # corrupt the IHDR length so the chunk walk runs past the end of the file
    data[8:12] = (10**6).to_bytes(4, "big")
    with pytest.raises(BadResponse):
        identify(bytes(data))


def test_html_error_page_says_so():
    with pytest.raises(BadResponse, match="web page or an error message"):
        identify(b"<!DOCTYPE html><html><body>Access denied</body></html>")
    with pytest.raises(BadResponse, match="web page or an error message"):
        identify(b'{"error": "expired"}')


@pytest.mark.parametrize(
    "data", [b"", b"hello", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\x00\x00\x00\x00WEBP"]
)
def test_garbage_and_stubs_are_refused(data):
    with pytest.raises(BadResponse):
        identify(data)


def test_zero_sized_image_is_refused():
    data = bytearray(encode("PNG"))
    data[16:24] = b"\x00" * 8  # width = height = 0 (CRC is not checked, only structure)
    assert identify(bytes(data)).width == 0
    with pytest.raises(BadResponse):
        check_image(bytes(data))


def test_sniff_gives_the_file_extension_for_saving():
    assert sniff(encode("JPEG", mode="RGB")).extension == "jpg"
    assert sniff(encode("PNG")).extension == "png"
