"""One call per answer: measure its drift outside the selection, and say how to undo it.

`plan_correction` returns a `Correction`: the warp (hosts resample the answer with it, each with its own
resampling: `answer_rect` for Qt and GIMP, `box_to_answer_affine` for Pillow), the three tone tables and
the sharpness restored once the answer is in place (`finish`: a `bytes.translate` per channel, then the
unsharp mask fitted in `sharpen`), the feathered mask, and a `SeamReport` for people and the ledger.
Nothing is corrected where nothing can be compared: with no selection, or a selection that covers (almost)
everything, the answer is used as it came and the report says why."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from itertools import repeat
from operator import mul

from .align import Warp, dilate, estimate, sample
from .feather import feather_mask, feather_width
from .reduce import CHANNELS, RGB_ORDER, Reduced, box_blur, box_reduce, factor_for, grey, halve, halve_plane
from .sharpen import PATCH, PATCHES, chosen_amount, fit_amount, unsharp
from .tone import IDENTITY, apply_tables, fit_curve, mean_change

#: fraction of each side kept out of comparisons at the border of the region
BORDER = 0.04
#: colour is fitted where the original's grey varies by less than this (levels) over 3×3 reduced pixels:
#: at edges a slight blur or shift would read as a tone change
FLAT_RANGE = 12.0
#: longer side of the copies estimation works on
WORK_SIDE = 320
#: the selection is kept this far (fraction of the longer side) from the points that are compared, since
#: models spill their edit a little past the mask
GUARD = 0.03
#: points whose levels the tone curves are fitted to
COLOUR_SAMPLES = 2500
#: points at which the change left outside the selection is compared (on smoothed copies)
RESIDUAL_SAMPLES = 1500
#: the change left outside the selection is measured on copies this size (longer side), as local means
#: over 1/RESIDUAL_CELLS of the region
RESIDUAL_SIDE = 100
RESIDUAL_CELLS = 32
#: a point whose local mean moved more than this (levels 0..255, mean over R, G, B) counts as changed
CHANGED_LEVELS = 16.0
#: more than this percentage of changed points outside the selection after correction and the edit is said
#: not to blend well
WARN_CHANGED = 10.0
#: a fade narrower than this (regions under about 300 pixels at the default width) hides no seam worth the
#: edit it takes away from the selection's edge: such regions keep the selection's own edge
MIN_FEATHER_PX = 6
#: a shift smaller than this everywhere (region pixels) is not corrected: resampling would only soften
NEGLIGIBLE_PX = 0.1
#: see _plausible_curve
MIN_CURVE_SLOPE = 0.5
#: below this many comparable points there is not enough outside the selection to measure anything
MIN_POINTS = 300


@dataclass
class SeamOptions:
    """Each step can be switched off; all are on by default."""

    align: bool = True
    colour: bool = True
    blend: bool = True
    #: restore the sharpness the answer lost (model blur, resampling), when it measurably lost some
    sharpen: bool = True
    #: width of the selection's soft edge, in percent of the edited region's longer side
    feather_percent: float = 2.0
    #: the selection went to the model as its mask. A model that takes no mask was asked to change the
    #: whole region, so its colours outside the selection are the edit, not drift: they are not matched
    masked: bool = True


@dataclass
class SeamReport:
    """What was corrected and what remains, in units people know (pixels of the region, percent, levels
    0..255); stored with the job."""

    corrected: bool = False
    note: str = ""
    shift_x: float = 0.0
    shift_y: float = 0.0
    zoom_percent: float = 0.0
    colour_change: float = 0.0
    residual_before: float | None = None
    residual_after: float | None = None
    #: percent of the outside whose local mean differs by more than CHANGED_LEVELS
    changed_before: float = 0.0
    changed_after: float = 0.0
    feather_px: int = 0
    aligned: bool = False
    colour_matched: bool = False
    #: the unsharp-mask amount applied to restore sharpness (0 = none: not softer, or not measured)
    sharpened: float = 0.0
    seconds: float = 0.0
    warning: str = ""

    def summary(self) -> str:
        parts = []
        if self.aligned:
            parts.append(
                f"shifted {self.shift_x:+.1f}, {self.shift_y:+.1f} px, zoom {self.zoom_percent:+.1f} %"
            )
        if self.colour_matched:
            parts.append(f"colours moved {self.colour_change:.1f} levels")
        if self.sharpened:
            parts.append(f"sharpness restored (unsharp mask {self.sharpened:.2f})")
        if self.feather_px:
            parts.append(f"edge faded over {self.feather_px} px")
        text = "Seam: " + ("; ".join(parts) if parts else "nothing corrected")
        if self.residual_after is not None and self.residual_before is not None:
            text += (
                f". Change outside the selection: {self.residual_before:.1f} → "
                f"{self.residual_after:.1f} levels, {self.changed_before:.0f} → "
                f"{self.changed_after:.0f} % of the area"
            )
        if self.note:
            text += f". {self.note}"
        if self.warning:
            text += f". {self.warning}"
        return text

    def to_json(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> SeamReport:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


@dataclass
class Correction:
    """How to turn an answer (answer_w × answer_h) into the box_w × box_h layer that goes in the picture."""

    box_w: int
    box_h: int
    answer_w: int
    answer_h: int
    warp: Warp = field(default_factory=Warp)
    #: tone tables for red, green, blue (None: colours left alone)
    tables: tuple[bytes, bytes, bytes] | None = None
    #: the mask to put on the layer (feathered when blending); None = no selection
    mask: bytes | None = None
    report: SeamReport = field(default_factory=SeamReport)
    #: what the placed answer's sharpness is fitted against: the original's pixels (box size) and layout,
    #: and the top-left corners of full-size patches outside the selection (None: nothing to fit against)
    reference: tuple[bytes, str] | None = field(default=None, repr=False)
    patches: list[tuple[int, int]] = field(default_factory=list, repr=False)

    @property
    def moves(self) -> bool:
        return self.warp != Warp()

    def answer_rect(self) -> tuple[float, float, float, float]:
        """Left, top, right, bottom (box pixels, may be fractional and reach past the box) of the rectangle
        the WHOLE answer must be stretched onto so that its content lines up with the original."""
        z, tx, ty = self.warp.zoom, self.warp.tx, self.warp.ty
        left = 0.5 - (0.5 + tx) / z
        right = 0.5 + (0.5 - tx) / z
        top = 0.5 - (0.5 + ty) / z
        bottom = 0.5 + (0.5 - ty) / z
        return left * self.box_w, top * self.box_h, right * self.box_w, bottom * self.box_h

    def box_to_answer_affine(self) -> tuple[float, float, float, float, float, float]:
        """(a, b, c, d, e, f): box position (x, y) → answer position (a·x + b·y + c, d·x + e·y + f), both in
        continuous pixel coordinates (pixel i spans i..i+1): the form Pillow's affine transform takes."""
        z, tx, ty = self.warp.zoom, self.warp.tx, self.warp.ty
        aw, ah = self.answer_w, self.answer_h
        return (
            aw * z / self.box_w,
            0.0,
            aw * (0.5 - 0.5 * z + tx),
            0.0,
            ah * z / self.box_h,
            ah * (0.5 - 0.5 * z + ty),
        )

    def resized(self, box_w: int, box_h: int) -> Correction:
        """The same correction for placing the answer over a box of another size (measured on a downscaled
        copy of the region, placed at full size): shifts are rescaled, the mask is left to the caller."""
        report = SeamReport(**asdict(self.report))
        report.shift_x *= box_w / self.box_w
        report.shift_y *= box_h / self.box_h
        out = Correction(box_w, box_h, self.answer_w, self.answer_h, self.warp, self.tables, None, report)
        if (box_w, box_h) == (self.box_w, self.box_h):  # sharpness is fitted pixel for pixel
            out.reference, out.patches = self.reference, self.patches
        return out

    def to_json(self) -> dict:
        """The report plus what is needed to apply the same correction again later (Insert again)."""
        data = self.report.to_json()
        data["warp"] = [self.warp.zoom, self.warp.tx, self.warp.ty]
        data["tables"] = [t.hex() for t in self.tables] if self.tables is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict | None, box_w: int, box_h: int, answer_w: int, answer_h: int) -> Correction:
        """A stored correction (`to_json`) for an answer of answer_w×answer_h placed over box_w×box_h; an
        empty or unreadable record gives the identity."""
        data = data or {}
        try:
            z, tx, ty = (float(v) for v in data.get("warp") or (1.0, 0.0, 0.0))
            tables = data.get("tables")
            tabs = tuple(bytes.fromhex(t) for t in tables) if tables else None
            if tabs is not None and (len(tabs) != 3 or any(len(t) != 256 for t in tabs)):
                tabs = None
        except (TypeError, ValueError):
            z, tx, ty, tabs = 1.0, 0.0, 0.0, None
        return cls(box_w, box_h, answer_w, answer_h, Warp(z, tx, ty), tabs, None, SeamReport.from_json(data))

    def apply_colour(self, pixels: bytes, layout: str) -> bytes:
        """`pixels` (layout "RGBA", "BGRA" or "RGB") with the tone tables applied; alpha untouched."""
        if self.tables is None:
            return pixels
        order = RGB_ORDER[layout]
        return apply_tables(pixels, CHANNELS[layout], dict(zip(order, self.tables, strict=True)))

    @property
    def touches_pixels(self) -> bool:
        """`finish` may change the placed answer's pixels."""
        return self.tables is not None or bool(self.patches) or self.report.sharpened > 0

    def finish(self, pixels: bytes, layout: str) -> bytes:
        """The placed answer (box_w × box_h, layout "RGBA", "BGRA" or "RGB") recoloured, then with the
        sharpness it lost restored: the unsharp amount is fitted against the original on the patches
        outside the selection (`sharpen`; the figure goes in the report), or, for a correction read back
        from the ledger, the amount stored with it."""
        pixels = self.apply_colour(pixels, layout)
        step = CHANNELS[layout]
        alpha = 3 if step == 4 else None
        if self.reference is not None and self.patches:
            original, original_layout = self.reference
            if original_layout != layout or len(original) != len(pixels):
                return pixels  # not comparable pixel for pixel: left as it is
            amount, gain = fit_amount(original, pixels, self.box_w, step, RGB_ORDER[layout], self.patches)
            self.report.sharpened = chosen_amount(amount, gain)
            # measured once: the original's pixels are not kept alive with the correction (a host keeps
            # corrections with its jobs); finishing again applies the amount measured
            self.reference, self.patches = None, []
        return unsharp(pixels, self.box_w, self.box_h, step, alpha, self.report.sharpened)


def blend_mask(mask: bytes, width: int, height: int, options: SeamOptions) -> tuple[bytes, int]:
    """The mask to put on the layer and the width of its soft edge (0 = the selection as it is)."""
    if not options.blend:
        return mask, 0
    px = feather_width(width, height, options.feather_percent)
    if px < MIN_FEATHER_PX:
        return mask, 0
    return feather_mask(mask, width, height, px), px


def _compare_points(
    level: Reduced, blocked: bytes, limit: int, flat: list[float] | None = None
) -> list[tuple[int, int]]:
    """Up to about `limit` pixels of `level` on a regular grid where `blocked` is 0, clear of the border
    (where shifted and zoomed answers have made-up content). With `flat` (a grey plane of `level`), only
    points where it is smooth, unless too few are."""
    w, h = level.width, level.height
    free = max(1, blocked.count(0))
    step = max(1, int((free / limit) ** 0.5))
    mx, my = max(1, round(BORDER * w)), max(1, round(BORDER * h))
    points = [
        (x, y) for y in range(my, h - my, step) for x in range(mx, w - mx, step) if not blocked[y * w + x]
    ]
    if flat is None:
        return points
    smooth = []
    for x, y in points:
        i = y * w + x
        # the spread of the pixel and its 8 neighbours: a line one pixel wide counts as an edge too
        around = flat[i - w - 1 : i - w + 2] + flat[i - 1 : i + 2] + flat[i + w - 1 : i + w + 2]
        if max(around) - min(around) < FLAT_RANGE:
            smooth.append((x, y))
    return smooth if len(smooth) >= MIN_POINTS else points


def _samples(orig: Reduced, ans: Reduced, points: list[tuple[int, int]], warp: Warp):
    """Per channel: (answer levels, original levels) at the points, the answer read through `warp`
    (bilinear: the weights are worked out once per point for all channels)."""
    asx, asy = ans.full_width / ans.factor, ans.full_height / ans.factor
    aw, ah = ans.width, ans.height
    channels = len(orig.planes)
    a_out: list[list[float]] = [[] for _ in range(channels)]
    o_out: list[list[float]] = [[] for _ in range(channels)]
    os_, as_ = orig.scale, ans.scale
    fx_o, fy_o = orig.factor / orig.full_width, orig.factor / orig.full_height
    z, tx, ty = warp.zoom, warp.tx, warp.ty
    for x, y in points:
        # warp.to_answer(orig.centre(x, y)), inlined: this loop runs for every compared point
        xa = (0.5 + z * (fx_o * (x + 0.5) - 0.5) + tx) * asx - 0.5
        ya = (0.5 + z * (fy_o * (y + 0.5) - 0.5) + ty) * asy - 0.5
        if xa < 0.0 or ya < 0.0 or xa > aw - 1.001 or ya > ah - 1.001:
            continue
        ix, iy = int(xa), int(ya)
        fx, fy = xa - ix, ya - iy
        w00 = (1 - fx) * (1 - fy) * as_
        w10 = fx * (1 - fy) * as_
        w01 = (1 - fx) * fy * as_
        w11 = fx * fy * as_
        j = iy * aw + ix
        i = y * orig.width + x
        for k in range(channels):
            p = ans.planes[k]
            a_out[k].append(p[j] * w00 + p[j + 1] * w10 + p[j + aw] * w01 + p[j + aw + 1] * w11)
            o_out[k].append(orig.planes[k][i] * os_)
    return list(zip(a_out, o_out, strict=True))


def _residual(
    orig: Reduced, ans: Reduced, blocked: bytes, warp: Warp, tables: tuple[bytes, bytes, bytes] | None
) -> tuple[float, float]:
    """How much the answer (read through `tables` and `warp`) differs from the original where `blocked`
    is 0, on copies of about RESIDUAL_SIDE pixels, compared as local means over about 1/RESIDUAL_CELLS of
    the region: a slight blur or a sub-pixel difference moves levels across an edge without changing their
    local mean, and noise averages out, so neither reads as a change, while a repainted area does (that is
    what shows as a seam; on line art a per-pixel comparison would be all edges). Returns (mean level
    difference over R, G, B, percent of points that differ by more than CHANGED_LEVELS)."""
    while max(orig.width, orig.height) >= 2 * RESIDUAL_SIDE and min(ans.width, ans.height) >= 16:
        coarse = halve_plane(list(blocked), orig.width, orig.height)
        orig, ans, blocked = halve(orig), halve(ans), bytes(1 if v > 0 else 0 for v in coarse)
    points = _compare_points(orig, blocked, RESIDUAL_SAMPLES)
    radius = max(1, round(max(orig.width, orig.height) / RESIDUAL_CELLS / 2))
    norm = 1.0 / (2 * radius + 1) ** 2
    smooth_o, smooth_a = [], []
    for k in range(3):
        levels = list(map(mul, ans.planes[k], repeat(ans.scale)))
        if tables is not None and tables[k] != IDENTITY:
            levels = list(map(tables[k].__getitem__, map(int, levels)))  # levels are 0..255 here
        smooth_a.append(list(map(mul, box_blur(levels, ans.width, ans.height, radius), repeat(norm))))
        smooth_o.append(
            list(
                map(mul, box_blur(orig.planes[k], orig.width, orig.height, radius), repeat(norm * orig.scale))
            )
        )
    o = Reduced(orig.width, orig.height, orig.factor, orig.full_width, orig.full_height, smooth_o)
    a = Reduced(ans.width, ans.height, ans.factor, ans.full_width, ans.full_height, smooth_a)
    pairs = _samples(o, a, points, warp)
    n = len(pairs[0][0])
    if not n:
        return 0.0, 0.0
    diffs = [
        (abs(a0 - o0) + abs(a1 - o1) + abs(a2 - o2)) / 3.0
        for a0, o0, a1, o1, a2, o2 in zip(
            pairs[0][0], pairs[0][1], pairs[1][0], pairs[1][1], pairs[2][0], pairs[2][1], strict=True
        )
    ]
    changed = sum(1 for d in diffs if d > CHANGED_LEVELS)
    return sum(diffs) / n, 100.0 * changed / n


def _flat_in_answer(
    points: list[tuple[int, int]], orig: Reduced, ans_grey: Reduced, warp: Warp
) -> list[tuple[int, int]]:
    """The points whose surroundings are even in the answer too (read through `warp`): next to a line that
    the model blurred or shifted, an even patch of the original is not even in the answer, and its levels
    would bend the tone curve. Falls back to all points when too few are left."""
    asx, asy = ans_grey.full_width / ans_grey.factor, ans_grey.full_height / ans_grey.factor
    plane, aw, ah = ans_grey.planes[0], ans_grey.width, ans_grey.height
    keep = []
    for x, y in points:
        u, v = orig.centre(x, y)
        ua, va = warp.to_answer(u, v)
        xa, ya = ua * asx - 0.5, va * asy - 0.5
        around = [
            sample(plane, aw, ah, xa + dx, ya + dy) for dx, dy in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))
        ]
        if None not in around and max(around) - min(around) < FLAT_RANGE:
            keep.append((x, y))
    return keep if len(keep) >= MIN_POINTS else points


def _negligible(warp: Warp, box_w: int, box_h: int) -> bool:
    """True when no point of the region would move by as much as NEGLIGIBLE_PX."""
    worst = 0.0
    for u, v in ((0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0)):
        ua, va = warp.to_answer(u, v)
        worst = max(worst, abs(ua - u) * box_w, abs(va - v) * box_h)
    return worst < NEGLIGIBLE_PX


def _used_range(levels: list[float]) -> tuple[int, int]:
    ordered = sorted(levels)
    n = len(ordered)
    return int(ordered[n // 20]), int(ordered[n - 1 - n // 20]) + 1


def _plausible_curve(table: bytes, levels: list[float]) -> bool:
    """Drift shifts, stretches and bends levels a little; it does not flatten or invert them. Over the
    levels the answer actually uses, the curve must keep at least half of their spread and at most double
    it (a picture inverted outside the selection gives a flat curve here)."""
    lo, hi = _used_range(levels)
    if hi - lo < 24:
        return True  # too narrow a range to judge the slope: an offset is all it can be
    slope = (table[min(hi, 255)] - table[lo]) / (min(hi, 255) - lo)
    return MIN_CURVE_SLOPE <= slope <= 1 / MIN_CURVE_SLOPE


def _near_identity(table: bytes, levels: list[float]) -> bool:
    lo, hi = _used_range(levels)
    return all(abs(table[v] - v) <= 1 for v in range(lo, min(hi, 255) + 1))


def _patches(orig: Reduced, blocked: bytes, box_w: int, box_h: int) -> list[tuple[int, int]]:
    """Top-left corners (box pixels) of about PATCHES full-size PATCH² squares on a regular grid outside
    the selection and its guard. A grid, not the most detailed places: the fit must weigh what sharpening
    does to even areas (it amplifies their noise) as the picture does, or it would sharpen a picture that
    is only softer at its few edges."""
    w, h, f = orig.width, orig.height, orig.factor
    reach = PATCH / 2 / f  # half a patch, in reduced pixels

    def free(x: float, y: float) -> bool:
        ix, iy = int(x), int(y)
        return 0 <= ix < w and 0 <= iy < h and not blocked[iy * w + ix]

    out = []
    for x, y in _compare_points(orig, blocked, PATCHES):
        x0, y0 = round(f * (x + 0.5) - PATCH / 2), round(f * (y + 0.5) - PATCH / 2)
        if x0 < 1 or y0 < 1 or x0 + PATCH > box_w - 1 or y0 + PATCH > box_h - 1:
            continue
        if all(free(x + dx, y + dy) for dx in (-reach, reach) for dy in (-reach, reach)):
            out.append((x0, y0))
    return out


def _grey_level(red: Reduced) -> Reduced:
    return Reduced(red.width, red.height, red.factor, red.full_width, red.full_height, [grey(red)])


def plan_correction(
    original: bytes,
    box_w: int,
    box_h: int,
    original_layout: str,
    answer: bytes,
    answer_w: int,
    answer_h: int,
    answer_layout: str,
    mask: bytes | None,
    options: SeamOptions | None = None,
) -> Correction:
    """Measure the answer against the original (the box that was sent, `box_w`×`box_h`) outside the
    selection `mask` (selectedness per box pixel, 255 = selected; None = no selection)."""
    options = options or SeamOptions()
    started = time.perf_counter()
    result = Correction(box_w, box_h, answer_w, answer_h, mask=mask)
    report = result.report
    if mask is None:
        report.note = (
            "No selection: the whole region was edited, so nothing outside it can be compared "
            "and nothing was corrected"
        )
        return result
    result.mask, report.feather_px = blend_mask(mask, box_w, box_h, options)
    if not (options.align or options.colour or options.sharpen):
        report.note = "Alignment, colour matching and sharpening are switched off"
        report.seconds = time.perf_counter() - started
        return result

    # never finer than the region itself: an answer larger than a small region has no detail to add there
    side = min(WORK_SIDE, max(box_w, box_h))
    orig = box_reduce(original, box_w, box_h, original_layout, factor_for(box_w, box_h, side))
    ans = box_reduce(answer, answer_w, answer_h, answer_layout, factor_for(answer_w, answer_h, side))
    sel = box_reduce(mask, box_w, box_h, "L", orig.factor).planes[0]
    guard = max(1, round(GUARD * max(orig.width, orig.height)))
    blocked = dilate(bytes(1 if v else 0 for v in sel), orig.width, orig.height, guard)
    points = _compare_points(orig, blocked, COLOUR_SAMPLES)
    if len(points) < MIN_POINTS:
        report.note = (
            "The selection covers (almost) the whole region: too little is left outside it to "
            "compare with, so nothing was corrected"
        )
        report.seconds = time.perf_counter() - started
        return result

    orig_grey = _grey_level(orig)
    ans_grey = _grey_level(ans)
    report.residual_before, report.changed_before = _residual(orig, ans, blocked, Warp(), None)
    warp = Warp()
    if options.align:
        found = estimate(orig_grey, ans_grey, blocked)
        if found is None:
            report.note = "The answer's position could not be measured reliably; it was not moved"
        elif _negligible(found, box_w, box_h):
            report.aligned = True  # measured, and nothing to move: the answer is used unresampled
        else:
            warp = found
            report.aligned = True
            report.zoom_percent = (warp.zoom - 1.0) * 100.0
            # how far the answer's content sat from where it belongs, at the centre, in box pixels
            report.shift_x = warp.tx * box_w
            report.shift_y = warp.ty * box_h
    flat_points = _flat_in_answer(
        _compare_points(orig, blocked, COLOUR_SAMPLES, orig_grey.planes[0]), orig, ans_grey, warp
    )
    pairs = _samples(orig, ans, flat_points, warp)
    tables = None
    if options.colour and not options.masked:
        report.note = (
            "This model takes no mask and was asked to change the whole region, so its colours "
            "were not matched to the surroundings"
        )
    elif options.colour:
        fitted = [fit_curve(a, o) for a, o in pairs]
        if any(t is None for t in fitted):
            report.note = "Too few even areas outside the selection to match colours"
        elif not all(_plausible_curve(t, a) for t, (a, _o) in zip(fitted, pairs, strict=True)):
            report.note = (
                "The colours outside the selection changed too much to be drift (the model "
                "recoloured the picture); they were left as they are"
            )
        elif all(_near_identity(t, a) for t, (a, _o) in zip(fitted, pairs, strict=True)):
            report.colour_matched = True  # measured, and nothing to change
        else:
            tables = tuple(fitted)
            changes = []
            for k, (a, _o) in enumerate(pairs):
                hist = [0.0] * 256
                for v in a:
                    hist[min(255, max(0, int(v + 0.5)))] += 1.0
                changes.append(mean_change(tables[k], hist))
            report.colour_change = sum(changes) / len(changes)
            report.colour_matched = True
    result.warp = warp
    result.tables = tables
    if options.sharpen:
        result.reference = (original, original_layout)
        result.patches = _patches(orig, blocked, box_w, box_h)
    report.residual_after, report.changed_after = _residual(orig, ans, blocked, warp, tables)
    report.corrected = report.aligned or report.colour_matched
    if report.changed_after > WARN_CHANGED:
        report.warning = (
            f"Even after correction the model changed {report.changed_after:.0f} % of the "
            "picture outside the selection, so the edit will not blend well: try a tighter "
            "selection or another prompt"
        )
    report.seconds = time.perf_counter() - started
    return result
