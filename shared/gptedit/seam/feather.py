"""A soft edge for the selection mask: two box blurs (together a tent, close to a Gaussian) in C-speed steps.

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


def feather_mask(mask: bytes, width: int, height: int, width_px: int) -> bytes:
    """`mask` (1 byte per pixel, row-major) with its edges faded over about `width_px` pixels, centred on
    the original edge. Width 0 or less returns the mask unchanged."""
    if len(mask) != width * height:
        raise ValueError(f"a {width}x{height} mask needs {width * height} bytes, got {len(mask)}")
    if width_px <= 1 or width == 0 or height == 0:
        return bytes(mask)
    if not bytes(mask).translate(None, b"\x00") or not bytes(mask).translate(None, b"\xff"):
        return bytes(mask)  # all one value: nothing to fade
    length = max(1, width_px // 2) | 1
    out = bytes(mask)
    for _ in range(2):
        out = _blur_columns(out, width, height, length)
    out = _transpose(out, width, height)
    for _ in range(2):
        out = _blur_columns(out, height, width, length)
    return _transpose(out, height, width)
