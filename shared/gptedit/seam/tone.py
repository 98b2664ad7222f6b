"""Per-channel tone curves: 256-entry tables that map the answer's levels to the original's.

Fitted from pairs (answer level, original level) taken where both should show the same thing (outside the
selection, after alignment). The curve is the smoothest one close to the mean original level of each answer
level: a weighted least-squares fit with a penalty on its second differences (a discrete smoothing spline,
solved as one banded linear system), so sparse or noisy levels borrow from their neighbours and levels
never seen continue the curve in a straight line, with a weak pull toward slope 1 for when the data cannot
tell the slope (a picture of one or two colours). It is then made non-decreasing (pool-adjacent-violators),
since a tone curve that reverses would turn edges inside out. Tables are applied with `bytes.translate`."""

from __future__ import annotations

#: weight of smoothness against fidelity, per sample: larger = stiffer curves
SMOOTHNESS = 2.0
#: weight of the pull toward slope 1, per sample: small, so two clusters of levels still set the slope
SLOPE_PULL = 0.02
#: fewer pairs than this and no curve is fitted (the table stays the identity)
MIN_PAIRS = 200

IDENTITY = bytes(range(256))


def _solve_banded(diag: list[list[float]], rhs: list[float]) -> list[float]:
    """Solve A x = b for symmetric positive definite A with half-bandwidth 2, given as
    diag[d][i] = A[i][i + d] for d = 0, 1, 2 (LDLᵀ-free Gaussian elimination, no pivoting needed)."""
    n = len(rhs)
    a0, a1, a2 = (list(d) for d in diag)
    b = list(rhs)
    # full band rows: row i has entries at i..i+2 (upper) and i-2..i-1 (lower = symmetric)
    up1 = a1[:]
    up2 = a2[:]
    lo1 = [0.0] + a1[: n - 1]  # A[i][i-1]
    lo2 = [0.0, 0.0] + a2[: n - 2]  # A[i][i-2]
    for i in range(n):
        piv = a0[i]
        for k in (1, 2):
            j = i + k
            if j >= n:
                break
            factor = (lo1[j] if k == 1 else lo2[j]) / piv
            if k == 1:
                a0[j] -= factor * up1[i]
                if j + 1 < n:
                    up1[j] -= factor * up2[i]
            else:
                lo1[j] -= factor * up1[i]
                a0[j] -= factor * up2[i]
            b[j] -= factor * b[i]
    x = [0.0] * n
    for i in range(n - 1, -1, -1):
        s = b[i]
        if i + 1 < n:
            s -= up1[i] * x[i + 1]
        if i + 2 < n:
            s -= up2[i] * x[i + 2]
        x[i] = s / a0[i]
    return x


def _monotone(values: list[float], weights: list[float]) -> list[float]:
    """The closest non-decreasing sequence in the weighted least-squares sense (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for v, w in zip(values, weights, strict=True):
        blocks.append([v, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            wt = w1 + w2
            blocks.append([(m1 * w1 + m2 * w2) / wt, wt, c1 + c2])
    out: list[float] = []
    for m, _w, c in blocks:
        out.extend([m] * c)
    return out


def fit_curve(answer: list[float], original: list[float], smoothness: float = SMOOTHNESS) -> bytes | None:
    """A 256-entry table taking answer levels to original levels, or None with too few pairs."""
    if len(answer) < MIN_PAIRS:
        return None
    count = [0.0] * 256
    total = [0.0] * 256
    for a, o in zip(answer, original, strict=True):
        k = int(a + 0.5)
        k = 0 if k < 0 else 255 if k > 255 else k
        count[k] += 1.0
        total[k] += o
    n = len(answer)
    lam = smoothness * n / 256.0
    # A = W + lam·D2ᵀD2 (second differences: smooth) + slope·D1ᵀD1 (first differences pulled toward 1:
    # where the data say nothing about the slope, for example a picture of two colours, the curve keeps
    # the identity's slope instead of flattening) + a whisper of identity pull so A is never singular
    eps = 1e-6 * n / 256.0
    slope = SLOPE_PULL * n / 256.0
    a0 = [count[i] + eps for i in range(256)]
    a1 = [0.0] * 256
    a2 = [0.0] * 256
    rhs = [total[i] + eps * i for i in range(256)]
    for i in range(255):
        a0[i] += slope
        a0[i + 1] += slope
        a1[i] -= slope
        rhs[i] -= slope
        rhs[i + 1] += slope
    for i in range(254):  # each second difference (i, i+1, i+2) with coefficients (1, -2, 1)
        coef = (1.0, -2.0, 1.0)
        for p in range(3):
            a0[i + p] += lam * coef[p] * coef[p]
            for q in range(p + 1, 3):
                if q - p == 1:
                    a1[i + p] += lam * coef[p] * coef[q]
                else:
                    a2[i + p] += lam * coef[p] * coef[q]
    curve = _solve_banded([a0, a1, a2], rhs)
    curve = _monotone(curve, [c + 1e-3 for c in count])
    return bytes(min(255, max(0, int(v + 0.5))) for v in curve)


def mean_change(table: bytes, histogram: list[float]) -> float:
    """How far the table moves levels, in 0..255 units, averaged over a histogram of the levels it meets."""
    weight = sum(histogram)
    if not weight:
        return 0.0
    return sum(abs(table[v] - v) * histogram[v] for v in range(256)) / weight


def apply_tables(pixels: bytes, layout_channels: int, tables: dict[int, bytes]) -> bytes:
    """`pixels` with byte k of every pixel passed through `tables[k]` (other bytes, alpha, untouched)."""
    out = bytearray(pixels)
    for k, table in tables.items():
        if table != IDENTITY:
            out[k::layout_channels] = pixels[k::layout_channels].translate(table)
    return bytes(out)
