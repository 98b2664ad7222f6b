"""The stdlib PNG codec against Pillow: every colour type, bit depth and row filter, plus the mask helpers."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from gptedit.errors import BadInput
from gptedit.pngio import (
    DecodedImage,
    PngError,
    alpha_multiply,
    bgra_to_rgba,
    decode_png,
    encode_png,
    openai_mask_png,
    rgba_to_bgra,
)
from PIL import Image

SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _smooth(rnd: random.Random, n: int) -> bytes:
    """Picture-like bytes: a drifting value with small steps, so every filter has something to predict."""
    v, out = rnd.randrange(256), bytearray(n)
    for i in range(n):
        v = (v + rnd.randrange(-6, 7)) & 255
        out[i] = v if rnd.random() > 0.02 else rnd.randrange(256)
    return bytes(out)


# --- an independent PNG writer for the tests: any colour type/depth, a chosen filter per row ------------


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _filter_row(ftype: int, line: bytes, prev: bytes, bpp: int) -> bytes:
    out = bytearray(len(line))
    for i, x in enumerate(line):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        pred = (0, a, b, (a + b) // 2, _paeth(a, b, c))[ftype]
        out[i] = (x - pred) & 255
    return bytes(out)


def _chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def _write_png(w, h, depth, ct, rows, filters, *, plte=None, trns=None, interlace=0) -> bytes:
    bpp = max(1, SAMPLES[ct] * depth // 8)
    prev = bytes(len(rows[0]))
    raw = bytearray()
    for r, row in enumerate(rows):
        ftype = filters[r % len(filters)]
        raw.append(ftype)
        raw += _filter_row(ftype, row, prev, bpp)
        prev = row
    out = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ct, 0, 0, interlace))
    if plte is not None:
        out += _chunk(b"PLTE", plte)
    if trns is not None:
        out += _chunk(b"tRNS", trns)
    z = zlib.compress(bytes(raw), 9)
    out += _chunk(b"IDAT", z[: len(z) // 2]) + _chunk(b"IDAT", z[len(z) // 2 :])  # split IDATs are legal
    return out + _chunk(b"IEND", b"")


def _pillow_expected(png: bytes) -> DecodedImage:
    """What Pillow reads, brought to our output convention (8-bit, high byte of 16-bit samples)."""
    im = Image.open(io.BytesIO(png))
    im.load()
    transparent = "transparency" in im.info
    if im.mode in ("I;16", "I;16B", "I"):
        assert not transparent, "16-bit gray with a colour key is tested on its own"
        im = Image.frombytes("L", im.size, bytes(v >> 8 for v in im.get_flattened_data()))
    if im.mode == "P" or im.mode == "1":
        im = im.convert("RGBA" if transparent else ("RGB" if im.mode == "P" else "L"))
    elif transparent and im.mode in ("L", "RGB"):
        im = im.convert({"L": "LA", "RGB": "RGBA"}[im.mode])
    if png[25] == 4 and im.mode == "RGBA":  # Pillow widens 16-bit gray+alpha to RGBA with R = G = B
        im = im.convert("LA")
    channels = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}[im.mode]
    return DecodedImage(im.width, im.height, channels, im.tobytes())


CASES = [  # (colour type, bit depth, with tRNS)
    (0, 8, False),
    (0, 16, False),
    (0, 1, False),
    (0, 2, False),
    (0, 4, False),
    (0, 8, True),
    (2, 8, False),
    (2, 16, False),
    (2, 8, True),
    (3, 8, False),
    (3, 8, True),
    (3, 4, True),
    (3, 2, False),
    (3, 1, False),
    (4, 8, False),
    (4, 16, False),
    (6, 8, False),
    (6, 16, False),
]


def _case_png(ct, depth, with_trns, filters, w=13, h=7, seed=1):
    rnd = random.Random(seed * 1000 + ct * 100 + depth)
    row_bytes = (w * SAMPLES[ct] * depth + 7) // 8
    rows = [_smooth(rnd, row_bytes) for _ in range(h)]
    plte = trns = None
    if ct == 3:
        plte = bytes(rnd.randrange(256) for _ in range(3 * (1 << depth)))
        if with_trns:
            trns = bytes(rnd.randrange(256) for _ in range((1 << depth) // 2 + 1))
    elif with_trns:
        # a key equal to the first pixel, so at least one pixel really is transparent
        first = rows[0][: SAMPLES[ct] * depth // 8]
        trns = b"".join(b"\x00" + bytes([v]) for v in first)
    return _write_png(w, h, depth, ct, rows, filters, plte=plte, trns=trns)


@pytest.mark.parametrize(
    "filters", [[0], [1], [2], [3], [4], [4, 3, 2, 1, 0]], ids=lambda f: "f" + "".join(map(str, f))
)
@pytest.mark.parametrize(("ct", "depth", "trns"), CASES, ids=lambda v: str(v))
def test_decode_matches_pillow_for_every_colour_type_depth_and_filter(ct, depth, trns, filters):
    png = _case_png(ct, depth, trns, filters)
    got = decode_png(png)
    want = _pillow_expected(png)
    assert (got.width, got.height, got.channels) == (want.width, want.height, want.channels)
    assert got.pixels == want.pixels


def test_gray16_transparency_key_compares_all_sixteen_bits():
    # two pixels share the high byte but differ in the low byte: only the exact match is transparent
    rows = [bytes([0x12, 0x34, 0x12, 0x35, 0xFF, 0xFF])]
    got = decode_png(_write_png(3, 1, 16, 0, rows, [0], trns=b"\x12\x34"))
    assert got.channels == 2 and got.pixels == bytes([0x12, 0, 0x12, 255, 0xFF, 255])


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA", "P", "1", "I;16"])
@pytest.mark.parametrize("optimize", [False, True])
def test_decode_files_written_by_pillow(mode, optimize):
    rnd = random.Random(7)
    base = Image.frombytes("RGBA", (61, 33), _smooth(rnd, 61 * 33 * 4))
    if mode == "I;16":
        im = Image.frombytes("I;16", (61, 33), _smooth(rnd, 61 * 33 * 2))
    elif mode == "P":
        im = base.convert("RGB").quantize(40)
    else:
        im = base.convert(mode)
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=optimize)
    got, want = decode_png(buf.getvalue()), _pillow_expected(buf.getvalue())
    assert (got.channels, got.pixels) == (want.channels, want.pixels)


@pytest.mark.parametrize("filter_type", [0, 2])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize(("w", "h"), [(1, 1), (1, 9), (9, 1), (37, 23)])
def test_encode_round_trips_through_pillow(channels, w, h, filter_type):
    data = _smooth(random.Random(w * h * channels), w * h * channels)
    png = encode_png(w, h, data, channels, filter_type=filter_type)
    im = Image.open(io.BytesIO(png))
    assert im.size == (w, h) and im.mode == {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels]
    assert im.tobytes() == data
    assert decode_png(png).pixels == data


def test_encode_accepts_any_bytes_like_and_splits_large_streams_into_idat_chunks():
    rnd = random.Random(3)
    data = bytearray(rnd.randbytes(700 * 700 * 4))  # random: barely compressible, so > 1 MiB of IDAT
    png = encode_png(700, 700, memoryview(data), 4, level=1)
    assert png.count(b"IDAT") >= 2
    assert Image.open(io.BytesIO(png)).tobytes() == bytes(data)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((2, 2, b"\x00" * 7, 2), "need 8 bytes"),
        ((2, 2, b"\x00" * 8, 5), "1 to 4 channels"),
        ((0, 2, b"", 1), "at least 1"),
    ],
)
def test_encode_refuses_inconsistent_input(args, match):
    with pytest.raises(PngError, match=match):
        encode_png(*args)


def test_up_filter_rows_are_the_bytewise_difference_to_the_row_above():
    data = bytes([10, 250, 3, 0, 5, 255, 200, 1, 7])  # 3x3 gray, with wrap-around both ways
    raw = zlib.decompress(_read_idat(encode_png(3, 3, data, 1, filter_type=2)))
    assert raw == bytes([2, 10, 250, 3, 2, 246, 11, 252, 2, 200, 252, 8])
    with pytest.raises(PngError, match="filters 0"):
        encode_png(3, 3, data, 1, filter_type=4)


def _read_idat(png: bytes) -> bytes:
    pos, body = 8, b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        if png[pos + 4 : pos + 8] == b"IDAT":
            body += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return body


def test_png_errors_are_bad_input_with_actionable_messages():
    good = encode_png(4, 4, bytes(range(16)), 1)
    assert issubclass(PngError, BadInput)
    with pytest.raises(PngError, match="not a PNG"):
        decode_png(b"GIF89a" + good[6:])
    with pytest.raises(PngError, match="truncated"):
        decode_png(good[:-20])
    damaged = bytearray(good)
    damaged[40] ^= 0xFF  # inside the IDAT payload
    with pytest.raises(PngError, match="checksum"):
        decode_png(bytes(damaged))
    rows = [bytes(4)] * 2
    with pytest.raises(PngError, match="Interlaced"):
        decode_png(_write_png(4, 2, 8, 0, rows, [0], interlace=1))
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 2, 8, 0, 0, 0, 0))
    stream = zlib.compress(b"\x07" + bytes(4) + b"\x00" + bytes(4))
    bad_filter = b"\x89PNG\r\n\x1a\n" + ihdr + _chunk(b"IDAT", stream) + _chunk(b"IEND", b"")
    with pytest.raises(PngError, match="filter 7"):
        decode_png(bad_filter)
    with pytest.raises(PngError, match="palette"):
        decode_png(_write_png(4, 2, 8, 3, rows, [0]))


def test_bgra_and_rgba_swap_red_and_blue_only():
    bgra = bytes([1, 2, 3, 4, 10, 20, 30, 40])
    assert bgra_to_rgba(bgra) == bytes([3, 2, 1, 4, 30, 20, 10, 40])
    assert rgba_to_bgra(bgra_to_rgba(bgra)) == bgra
    with pytest.raises(PngError):
        bgra_to_rgba(b"\x00" * 6)


def test_openai_mask_is_transparent_wherever_anything_is_selected():
    sel = bytes([0, 1, 128, 255, 0, 0])
    im = Image.open(io.BytesIO(openai_mask_png(3, 2, sel)))
    assert im.mode == "RGBA" and im.size == (3, 2)
    assert list(im.getchannel("A").tobytes()) == [255, 0, 0, 0, 255, 255]
    with pytest.raises(PngError, match="needs 6 bytes"):
        openai_mask_png(3, 2, b"\x00" * 5)


@pytest.mark.parametrize("soft", [False, True])
def test_alpha_multiply_matches_the_rounded_product(soft):
    rnd = random.Random(soft)
    rgba = rnd.randbytes(4 * 500)
    mask = rnd.randbytes(500) if soft else bytes(rnd.choice((0, 255)) for _ in range(500))
    out = alpha_multiply(rgba, mask)
    for i, m in enumerate(mask):
        assert out[4 * i : 4 * i + 3] == rgba[4 * i : 4 * i + 3]
        assert out[4 * i + 3] == round(rgba[4 * i + 3] * m / 255)
