"""Small copies of big pictures by box averaging, in C-speed steps.

Estimating a shift to a fraction of a pixel needs neither millions of pixels nor a Python loop per pixel:
the picture is cut down to a few hundred pixels a side by averaging f×f blocks. The sums run on whole rows
at once with Python's big integers used as wide registers: each byte is widened to a 32-bit lane, f rows
are added as integers, then f neighbouring pixels are added by shifting the integer by one pixel's worth
of lanes at a time. No carry crosses a lane (f ≤ 256 and 255·f² < 2³²), so the lanes are the block sums."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate, repeat
from operator import add, mul, sub

#: byte index of red, green and blue inside a pixel, per pixel layout
RGB_ORDER = {"RGBA": (0, 1, 2), "RGB": (0, 1, 2), "BGRA": (2, 1, 0)}
CHANNELS = {"RGBA": 4, "RGB": 3, "BGRA": 4, "L": 1}


@dataclass
class Reduced:
    """Box averages of an image: `planes[k]` is channel k, row-major `width`×`height`, as block SUMS
    (times `scale` = the mean, 0..255: scaling is left to whoever reads, which saves a pass); each value
    covers the `factor`×`factor` block whose top-left full-size pixel is (x·factor, y·factor), so its
    centre lies at factor·(x + 0.5) in full-size pixel coordinates."""

    width: int
    height: int
    factor: int
    full_width: int
    full_height: int
    planes: list[list[float]]
    scale: float = 1.0

    def centre(self, x: float, y: float) -> tuple[float, float]:
        """Full-size position (normalised to 0..1 of the full image) of reduced pixel (x, y)."""
        return self.factor * (x + 0.5) / self.full_width, self.factor * (y + 0.5) / self.full_height


def factor_for(width: int, height: int, target: int) -> int:
    """The smallest block size that brings the longer side to at most `target` pixels (1 to 256)."""
    return max(1, min(256, -(-max(width, height) // max(1, target))))


def box_reduce(
    data: bytes, width: int, height: int, layout: str, factor: int, keep: tuple[int, ...] | None = None
) -> Reduced:
    """Block averages of the channels `keep` (byte indices inside a pixel; default: R, G, B, or the one
    channel of "L"). Blocks that would run past the right or bottom edge are dropped."""
    channels = CHANNELS[layout]
    if keep is None:
        keep = RGB_ORDER.get(layout, (0,))
    if len(data) != width * height * channels:
        need = width * height * channels
        raise ValueError(f"{width}x{height} {layout} needs {need} bytes, got {len(data)}")
    f = max(1, min(256, factor, width, height))
    out_w, out_h = width // f, height // f
    stride = width * channels
    n = len(keep)
    # only the kept channels are widened (alpha is not carried along), into 16-bit lanes while the block
    # sums fit (255·f² < 2¹⁶ up to f = 15), else 32-bit
    lane = 2 if f <= 15 else 4
    code = "H" if lane == 2 else "I"
    used_px = out_w * f
    step_bits = 8 * lane * n
    planes: list[list[float]] = [[] for _ in keep]
    packed = bytearray(used_px * n)
    wide = bytearray(lane * used_px * n)
    view = memoryview(data)
    for by in range(out_h):
        total = 0
        for r in range(by * f, by * f + f):
            row = view[r * stride : r * stride + used_px * channels]
            if n == channels:
                wide[0::lane] = row
            else:
                for j, k in enumerate(keep):
                    packed[j::n] = row[k::channels]
                wide[0::lane] = packed
            total += int.from_bytes(wide, "little")
        block = total
        for i in range(1, f):
            block += total >> (i * step_bits)
        lanes = memoryview(block.to_bytes(lane * used_px * n, "little")).cast(code)
        for j, plane in enumerate(planes):
            plane.extend(lanes[j :: n * f].tolist())
    return Reduced(out_w, out_h, f, width, height, planes, 1.0 / (f * f))


def halve_plane(plane: list[float], width: int, height: int) -> list[float]:
    """2×2 block means of a plane (an odd last row or column is dropped)."""
    w, h = width // 2, height // 2
    out: list[float] = []
    quarter = repeat(0.25)
    for y in range(h):
        a = plane[2 * y * width : 2 * y * width + 2 * w]
        b = plane[(2 * y + 1) * width : (2 * y + 1) * width + 2 * w]
        out.extend(map(mul, map(add, map(add, a[0::2], a[1::2]), map(add, b[0::2], b[1::2])), quarter))
    return out


def halve(red: Reduced) -> Reduced:
    """The next coarser level of a reduced image."""
    return Reduced(
        red.width // 2,
        red.height // 2,
        red.factor * 2,
        red.full_width,
        red.full_height,
        [halve_plane(p, red.width, red.height) for p in red.planes],
        red.scale,
    )


def grey(red: Reduced) -> list[float]:
    """Luma-like mix of the first three planes (Rec. 601 weights) as levels 0..255, or the one plane."""
    s = red.scale
    if len(red.planes) < 3:
        return list(map(mul, red.planes[0], repeat(s)))
    r, g, b = red.planes[:3]
    wr, wg, wb = 0.299 * s, 0.587 * s, 0.114 * s
    return [wr * x + wg * y + wb * z for x, y, z in zip(r, g, b, strict=False)]


def box_blur(plane: list[float], width: int, height: int, radius: int) -> list[float]:
    """Sums over a (2·radius+1)² square around each value (edges repeated), as running sums: each row is
    padded, accumulated and differenced with C-level `accumulate`/`map`; columns the same on the
    transposed plane. Divide by (2·radius+1)² for means."""
    if radius <= 0:
        return list(plane)
    span = 2 * radius + 1

    def rows_pass(data: list[float], w: int, h: int) -> list[list[float]]:
        out = []
        for y in range(h):
            row = data[y * w : (y + 1) * w]
            padded = [row[0]] * (radius + 1) + row + [row[-1]] * radius
            acc = list(accumulate(padded))
            out.append(list(map(sub, acc[span:], acc[: len(acc) - span])))
        return out

    horizontal = rows_pass(plane, width, height)
    columns = [v for col in zip(*horizontal, strict=True) for v in col]
    vertical = rows_pass(columns, height, width)
    return [v for row in zip(*vertical, strict=True) for v in row]
