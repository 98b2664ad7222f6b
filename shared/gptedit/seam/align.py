"""The answer's shift and zoom against what was sent, measured outside the selection.

Model: content at normalised position (u, v) of the original (0..1 across the region that was sent) shows
at (0.5 + zoom·(u − 0.5) + tx, 0.5 + zoom·(v − 0.5) + ty) in the answer, with levels a·g + b (a gain and
offset on grey, so a darker answer does not read as a moved one). It is estimated by Gauss–Newton on image
gradients (Lucas–Kanade), coarse to fine over box-averaged copies, only at well-textured points that lie
outside the selection and its surroundings, spread over the picture in tiles and weighted robustly (Huber)
so a model that also changed a few things outside the selection does not drag the estimate."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .reduce import Reduced, halve, halve_plane

#: the smallest level of the coarse-to-fine pyramid (longer side, pixels)
COARSEST = 40
#: points used per level
POINTS = 1200
#: tiles per side over which points are spread
TILES = 6
ITERATIONS = 10
#: a zoom or shift beyond these is not drift but a different picture: the estimate is not trusted
MAX_ZOOM_CHANGE = 0.2
MAX_SHIFT = 0.15
#: the grey gain between original and answer must lie in [MIN_GAIN, 1/MIN_GAIN] for the fit to be drift
MIN_GAIN = 0.25


@dataclass(frozen=True)
class Warp:
    """Where the original's content sits in the answer (see the module docstring). Identity by default."""

    zoom: float = 1.0
    tx: float = 0.0
    ty: float = 0.0

    def to_answer(self, u: float, v: float) -> tuple[float, float]:
        return 0.5 + self.zoom * (u - 0.5) + self.tx, 0.5 + self.zoom * (v - 0.5) + self.ty

    @property
    def plausible(self) -> bool:
        return (
            abs(self.zoom - 1.0) <= MAX_ZOOM_CHANGE
            and abs(self.tx) <= MAX_SHIFT
            and abs(self.ty) <= MAX_SHIFT
        )


def dilate(blocked: bytes, width: int, height: int, radius: int) -> bytes:
    """Grow the 1-bytes of a 0/1 mask by `radius` pixels (a square), using the whole mask as one big
    integer of 8-bit lanes: each row is padded with `radius` zeros so a shift never wraps into the next."""
    if radius <= 0:
        return bytes(blocked)
    padded_w = width + radius
    pad = bytes(radius)
    rows = [bytes(blocked[y * width : (y + 1) * width]) + pad for y in range(height)]
    m = int.from_bytes(b"".join(rows), "little")
    acc = m
    for d in range(1, radius + 1):
        acc |= (m << (8 * d)) | (m >> (8 * d))
    m = acc
    row_bits = 8 * padded_w
    for d in range(1, radius + 1):
        acc |= (m << (row_bits * d)) | (m >> (row_bits * d))
    n = padded_w * height
    flat = (acc & ((1 << (8 * n)) - 1)).to_bytes(n, "little")
    return b"".join(flat[y * padded_w : y * padded_w + width] for y in range(height))


def usable_points(level: Reduced, image: list[float], blocked: bytes, margin: int) -> list[tuple[int, int]]:
    """Well-textured points of `image` (a plane of `level`) where `blocked` is 0, `margin` pixels clear of
    the border, the strongest gradients of each tile so that every part of the picture has its say."""
    w, h = level.width, level.height
    tiles: dict[tuple[int, int], list[tuple[float, int, int]]] = {}
    step = max(1, int(math.sqrt(w * h / (POINTS * 12))))
    for y in range(margin, h - margin, step):
        base = y * w
        for x in range(margin, w - margin, step):
            i = base + x
            if blocked[i]:
                continue
            gx = image[i + 1] - image[i - 1]
            gy = image[i + w] - image[i - w]
            mag = gx * gx + gy * gy
            if mag > 1e-6:
                tiles.setdefault((x * TILES // w, y * TILES // h), []).append((mag, x, y))
    per_tile = max(4, POINTS // max(1, len(tiles)))
    points: list[tuple[int, int]] = []
    for cands in tiles.values():
        cands.sort(reverse=True)
        points.extend((x, y) for _m, x, y in cands[:per_tile])
    return points


def sample(plane: list[float], width: int, height: int, x: float, y: float) -> float | None:
    """Bilinear value at (x, y) in pixel-centre coordinates; None outside the image."""
    if x < 0.0 or y < 0.0 or x > width - 1.001 or y > height - 1.001:
        return None
    ix, iy = int(x), int(y)
    fx, fy = x - ix, y - iy
    i = iy * width + ix
    top = plane[i] + (plane[i + 1] - plane[i]) * fx
    bottom = plane[i + width] + (plane[i + width + 1] - plane[i + width]) * fx
    return top + (bottom - top) * fy


def _solve(a: list[list[float]], b: list[float]) -> list[float] | None:
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        if abs(m[p][c]) < 1e-12:
            return None
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                if f:
                    m[r] = [x - f * y for x, y in zip(m[r], m[c], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def refine(
    orig: Reduced,
    orig_grey: list[float],
    ans: Reduced,
    ans_grey: list[float],
    points: list[tuple[int, int]],
    warp: Warp,
    gain: float,
    offset: float,
) -> tuple[Warp, float, float, float]:
    """Gauss–Newton steps at one level; returns the warp, gain, offset and the final robust residual."""
    w = orig.width
    # per point: normalised position, original level, gradient in normalised units
    sx, sy = orig.full_width / orig.factor, orig.full_height / orig.factor
    pre = []
    for x, y in points:
        i = y * w + x
        u, v = orig.centre(x, y)
        ou = (orig_grey[i + 1] - orig_grey[i - 1]) * 0.5 * sx
        ov = (orig_grey[i + w] - orig_grey[i - w]) * 0.5 * sy
        pre.append((u - 0.5, v - 0.5, ou, ov, orig_grey[i]))
    aw, ah = ans.width, ans.height
    asx, asy = ans.full_width / ans.factor, ans.full_height / ans.factor
    z, tx, ty = warp.zoom, warp.tx, warp.ty
    scale = None
    resid = float("inf")
    for _ in range(ITERATIONS):
        rows = []
        for du, dv, ou, ov, o in pre:
            xa = (0.5 + z * du + tx) * asx - 0.5
            ya = (0.5 + z * dv + ty) * asy - 0.5
            a = sample(ans_grey, aw, ah, xa, ya)
            if a is None:
                continue
            rows.append((du, dv, ou, ov, o, a - (gain * o + offset)))
        if len(rows) < 12:
            break
        absr = sorted(abs(r[5]) for r in rows)
        mad = absr[len(absr) // 2] * 1.4826 + 0.5
        scale = 1.5 * mad
        h = [[0.0] * 5 for _ in range(5)]
        g = [0.0] * 5
        total = 0.0
        for du, dv, ou, ov, o, r in rows:
            wt = 1.0 if abs(r) <= scale else scale / abs(r)
            gu, gv = gain * ou, gain * ov
            j = (gu * du + gv * dv, gu, gv, -o, -1.0)
            for p in range(5):
                jp = wt * j[p]
                g[p] += jp * r
                hp = h[p]
                for q in range(p, 5):
                    hp[q] += jp * j[q]
            total += wt * r * r
        for p in range(5):
            for q in range(p):
                h[p][q] = h[q][p]
            h[p][p] *= 1.0 + 1e-3  # Levenberg damping: a direction no point constrains stays put
            h[p][p] += 1e-9
        step = _solve(h, [-x for x in g])
        if step is None:
            break
        z += step[0]
        tx += step[1]
        ty += step[2]
        gain += step[3]
        offset += step[4]
        resid = math.sqrt(total / len(rows))
        # stop when the shift moves less than a hundredth of an answer-level pixel
        if abs(step[1]) * asx < 0.01 and abs(step[2]) * asy < 0.01 and abs(step[0]) * asx < 0.01:
            break
    return Warp(z, tx, ty), gain, offset, resid


def estimate(orig: Reduced, ans: Reduced, blocked: bytes) -> Warp | None:
    """The warp from the original to the answer, both reduced to one grey plane of levels (scale 1),
    using only points where `blocked` (0/1 per pixel of `orig`) is 0. None when there is too little to go
    on or the result is not plausible as drift."""
    levels = [(orig, ans, blocked)]
    while (
        max(levels[-1][0].width, levels[-1][0].height) >= 2 * COARSEST
        and min(levels[-1][1].width, levels[-1][1].height) >= 16
    ):
        o, a, b = levels[-1]
        ob = halve_plane(list(b), o.width, o.height)
        levels.append((halve(o), halve(a), bytes(1 if v > 0 else 0 for v in ob)))
    warp, gain, offset = Warp(), 1.0, 0.0
    used = 0
    for o, a, b in reversed(levels):
        points = usable_points(o, o.planes[0], dilate(b, o.width, o.height, 1), 2)
        if len(points) < 24:
            continue
        warp, gain, offset, _ = refine(o, o.planes[0], a, a.planes[0], points, warp, gain, offset)
        used += 1
        if not warp.plausible or gain <= 0:  # inverted levels at any scale: another picture, stop early
            return None
    # levels that flipped or collapsed are not drift but another picture (judged at the finest level only:
    # on coarse copies of line art the contrast of thin lines is not comparable)
    if not used or not MIN_GAIN <= gain <= 1 / MIN_GAIN:
        return None
    return warp
