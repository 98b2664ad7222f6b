"""Restoring sharpness: edit models hand back what they were asked to keep a little softer (and resampling
it into place softens it once more), which on thin lines shows as a faint edge at the selection's border.

The placed, recoloured answer is compared with the original outside the selection, on full-size patches
spread evenly over it, and the amount k of an unsharp mask

    out = layer + k · (layer − blur(layer)),   blur = the 3×3 binomial kernel [1 2 1]ᵀ[1 2 1] / 16

that brings it closest to the original is fitted by least squares (one closed-form division). It is used
only when it is positive and takes a good part of the mean level difference there away (else the answer
was not measured as softer: photos and flat pictures are left alone, and noise is not amplified for
nothing), and capped so that noise cannot blow up. Applying it is a few big-integer operations per row
(the same lane trick as `reduce`), so a 2048² layer takes a fraction of a second in pure Python."""

from __future__ import annotations

#: largest amount applied (the noise of flat areas grows by about 1 + 0.75·k)
MAX_AMOUNT = 2.0
#: below this amount sharpening would change next to nothing
MIN_AMOUNT = 0.1
#: the fitted mask must remove at least this fraction of the mean level difference outside the selection
MIN_GAIN = 0.1
#: side of the full-size patches the amount is fitted on, and about how many
PATCH = 16
PATCHES = 64
#: the amount is applied in steps of 1/AMOUNT_STEPS (integer arithmetic; `unsharp` relies on 16)
AMOUNT_STEPS = 16
#: offset (levels) that keeps every lane positive: the result of any amount up to MAX_AMOUNT lies in
#: −OFFSET..2·OFFSET−1 before clamping
OFFSET = 1024


def _blur_at(plane, stride: int, i: int, step: int) -> float:
    """The 3×3 binomial blur (×16) of interleaved channel data at byte index i (`step` = bytes per pixel,
    `stride` = bytes per row)."""
    up, down = i - stride, i + stride
    return (
        plane[up - step]
        + 2 * plane[up]
        + plane[up + step]
        + 2 * plane[i - step]
        + 4 * plane[i]
        + 2 * plane[i + step]
        + plane[down - step]
        + 2 * plane[down]
        + plane[down + step]
    )


def fit_amount(
    original: bytes,
    layer: bytes,
    width: int,
    step: int,
    channels: tuple[int, ...],
    patches: list[tuple[int, int]],
) -> tuple[float, float]:
    """(amount, gain): the least-squares unsharp amount that brings `layer` closest to `original` (both
    `width` pixels wide, `step` bytes per pixel, the same layout) over the PATCH² patches with the given
    top-left corners, on the byte channels `channels`; gain = the fraction of the mean level difference
    that the amount to apply (`to_apply`) removes there: the figure people see at a seam, where a least
    squares fit alone would favour a few sharp edges over the noise it adds to every even area.
    (0, 0) when nothing can be fitted."""
    stride = width * step
    num = den = 0.0
    detail, diff = [], []
    for x0, y0 in patches:
        # the patch's outer ring is read as neighbours only
        for y in range(y0 + 1, y0 + PATCH - 1):
            row = y * stride
            for x in range(x0 + 1, x0 + PATCH - 1):
                base = row + x * step
                for c in channels:
                    i = base + c
                    here = layer[i]
                    d = here - _blur_at(layer, stride, i, step) / 16.0
                    e = original[i] - here
                    num += d * e
                    den += d * d
                    detail.append(d)
                    diff.append(e)
    before = sum(map(abs, diff))
    if den <= 0.0 or before <= 0.0:
        return 0.0, 0.0
    amount = num / den
    k = to_apply(amount)
    after = sum(abs(e - k * d) for d, e in zip(detail, diff, strict=True))
    return amount, 1.0 - after / before


def to_apply(amount: float) -> float:
    """A fitted amount as it is applied: capped, in steps of 1/AMOUNT_STEPS, 0 when too small."""
    if amount < MIN_AMOUNT:
        return 0.0
    return min(MAX_AMOUNT, round(amount * AMOUNT_STEPS) / AMOUNT_STEPS)


def chosen_amount(amount: float, gain: float) -> float:
    """The amount to apply (0 = leave the layer as it is): see the module's description."""
    return to_apply(amount) if gain >= MIN_GAIN else 0.0


def _lanes(row: bytes | memoryview, lane: int) -> int:
    wide = bytearray(lane * len(row))
    wide[0::lane] = row
    return int.from_bytes(wide, "little")


def unsharp(pixels: bytes, width: int, height: int, step: int, alpha: int | None, amount: float) -> bytes:
    """`pixels` (`step` bytes per pixel; byte `alpha` of each pixel, if any, is kept) with the unsharp mask
    of `amount` applied to every other channel. The outermost pixels of the layer are kept as they are.

    Per row, each byte is widened to a 32-bit lane of a big integer; the blur is shifts and additions of
    those integers, and 256·(result + OFFSET) is formed as one integer expression whose lanes never leave
    0..2²⁴ (no carry or borrow crosses a lane). Byte 1 of each lane is then the result's low byte and
    byte 2 tells whether it is below 0, in range, or above 255, which two 256-entry tables turn into a
    clamped byte."""
    k = round(min(MAX_AMOUNT, max(0.0, amount)) * AMOUNT_STEPS)  # K = 16·amount (AMOUNT_STEPS is 16)
    if k == 0 or width < 3 or height < 3:
        return pixels
    lane, bits = 4, 32
    n = width * step
    # 256·out = 16·(16 + K)·L − K·S for S = the blur ×16; plus 256·OFFSET, and 128 to round
    keep = 16 * (16 + k)
    bias = int.from_bytes((256 * OFFSET + 128).to_bytes(lane, "little") * n, "little")
    pixel_bits = bits * step
    ones = (1 << (bits * n)) - 1
    in_range = bytes(255 if v == OFFSET // 256 else 0 for v in range(256))
    above = bytes(255 if v > OFFSET // 256 else 0 for v in range(256))
    view = memoryview(pixels)

    def row_lanes(y: int) -> tuple[int, int]:
        """The row's lanes and their horizontal [1 2 1] sums (a black pixel beyond either end)."""
        r = _lanes(view[y * n : (y + 1) * n], lane)
        return r, ((r << pixel_bits) & ones) + 2 * r + (r >> pixel_bits)

    out = bytearray(pixels)
    (_, above_row), (centre, here_row) = row_lanes(0), row_lanes(1)
    for y in range(1, height - 1):
        below_lanes, below_row = row_lanes(y + 1)
        total = centre * keep - (above_row + 2 * here_row + below_row) * k + bias
        raw = total.to_bytes(lane * n, "little")
        low, high = raw[1::lane], raw[2::lane]
        value = (int.from_bytes(low, "little") & int.from_bytes(high.translate(in_range), "little")) | (
            int.from_bytes(high.translate(above), "little")
        )
        row = bytearray(value.to_bytes(n, "little"))
        # the first and last pixel of the row had a made-up (black) neighbour: kept
        row[:step] = pixels[y * n : y * n + step]
        row[n - step :] = pixels[(y + 1) * n - step : (y + 1) * n]
        if alpha is not None:
            row[alpha::step] = pixels[y * n + alpha : (y + 1) * n : step]
        out[y * n : (y + 1) * n] = row
        above_row, here_row, centre = here_row, below_row, below_lanes
    return bytes(out)
