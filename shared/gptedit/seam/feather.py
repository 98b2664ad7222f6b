"""A soft edge for the selection mask, faded INSIDE the selection: nothing outside the user's selection ever
changes, and the edit fades in over `width` pixels from the selection's edge.

The mask is blurred with two box blurs (together a tent, close to a Gaussian) reaching `width` pixels each
way, so at a straight edge the blur is one half exactly on the edge; levels below one half are dropped and
the rest stretched (a lookup table), which puts the whole fade on the inside. The result is then capped by
the mask itself, so a pixel outside the selection stays 0 even in a narrow gap of it.

Each pass is a running sum down the rows, with every row held as one big integer of 32-bit lanes: adding
the row entering the window and subtracting the one leaving it are two integer operations per row, and the
division by the window length is a multiplication by 65536/L followed by taking the third byte of each
lane. Columns are done the same way on the transposed mask. The edges repeat their last row or column, so
a selection that touches the border of the edited region stays solid there."""

from __future__ import annotations


def feather_width(width: int, height: int, percent: float) -> int:
    """The width of the soft edge in pixels for a region of width×height: `percent` of its longer side,
    so the fade looks the same at any image size."""
    return max(0, round(max(width, height) * percent / 100.0))


def _transpose(data: bytes, width: int, height: int) -> bytes:
    out = bytearray(width * height)
    for x in range(width):
        out[x * height : (x + 1) * height] = data[x::width]
    return bytes(out)


def _blur_columns(data: bytes, width: int, height: int, length: int) -> bytes:
    """Box mean of `length` (odd) rows around each row, edges repeated."""
    r = length // 2
    wide = bytearray(4 * width)
    rows = []
    for y in range(height):
        wide[0::4] = data[y * width : (y + 1) * width]
        rows.append(int.from_bytes(wide, "little"))
    mult = round(65536 / length)
    half = int.from_bytes(b"\x00\x80\x00\x00" * width, "little")
    last = height - 1
    total = sum(rows[min(max(j, 0), last)] for j in range(-r, r + 1))
    out = []
    for y in range(height):
        out.append((total * mult + half).to_bytes(4 * width + 1, "little")[2 : 4 * width : 4])
        total += rows[min(y + r + 1, last)] - rows[max(y - r, 0)]
    return b"".join(out)


#: blurred level → mask level: the lower half (outside a straight edge) becomes 0, the upper half 0..255
_ANY = b"\x00" + b"\xff" * 255
_INNER_HALF = bytes(max(0, min(255, 2 * v - 255)) for v in range(256))


def feather_mask(mask: bytes, width: int, height: int, width_px: int) -> bytes:
    """`mask` (1 byte per pixel, row-major) fading from 0 at the selection's edge to full over about
    `width_px` pixels inside it. Width 1 or less returns the mask unchanged."""
    if len(mask) != width * height:
        raise ValueError(f"a {width}x{height} mask needs {width * height} bytes, got {len(mask)}")
    mask = bytes(mask)
    if width_px <= 1 or width == 0 or height == 0:
        return mask
    if not mask.translate(None, b"\x00") or not mask.translate(None, b"\xff"):
        return mask  # all one value: nothing to fade
    length = width_px | 1
    out = mask.translate(_ANY)  # the fade follows the selection's outline; its own levels cap it below
    for _ in range(2):
        out = _blur_columns(out, width, height, length)
    out = _transpose(out, width, height)
    for _ in range(2):
        out = _blur_columns(out, height, width, length)
    out = _transpose(out, height, width).translate(_INNER_HALF)
    if not mask.translate(None, b"\x00\xff"):
        # hard-edged selection: the cap is a bitwise AND with 0x00/0xFF, one big-integer operation
        n = len(mask)
        return (int.from_bytes(out, "little") & int.from_bytes(mask, "little")).to_bytes(n, "little")
    return bytes(map(min, out, mask))
