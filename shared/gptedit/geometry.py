"""Where an edit happens: selection + canvas → the region we send, the size we ask for, where the answer goes.

Pure integer arithmetic on boxes; no pixels are read here except in the small mask helpers at the end,
which work on plain `bytes` (1 byte per pixel, row-major) so both hosts can use them.

The shape of an edit (see `plan_edit`):
1. clip the selection to the canvas;
2. pad it for context (sliding, not cutting, at the canvas edges) — the model edits better when it sees
   what surrounds the selection (krita-ai-diffusion pads the same way, docs/hosts.md "Krita: inserting
   the result");
3. grow the padded box toward the aspect ratio of the size the model will produce, so the answer can be
   scaled back into the box without stretching (only ever grow: the selection is never cut);
4. pick the size to ask for and the size to send (downscaled for huge canvases).
The result is placed back exactly over `Plan.context`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from .errors import BadInput, Unsupported
from .models import Size
from .sizes import SizeRule

#: How much one unit of relative pixel-count error weighs against one unit of relative aspect error when a
#: gpt-image-2 custom size is picked. Aspect errors become visible stretching when the answer is scaled
#: back into the context box; pixel-count errors only change detail and price a little. 0.1 means 1 % of
#: aspect is worth 10 % of pixels.
_PIXEL_WEIGHT = 0.1


@dataclass(frozen=True)
class Box:
    """A rectangle in canvas pixels: x, y of the top-left corner, then width and height."""

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def from_edges(cls, left: int, top: int, right: int, bottom: int) -> Box:
        return cls(left, top, right - left, bottom - top)

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def empty(self) -> bool:
        return self.width <= 0 or self.height <= 0

    @property
    def area(self) -> int:
        return 0 if self.empty else self.width * self.height

    @property
    def size(self) -> Size:
        return Size(self.width, self.height)

    def intersect(self, other: Box) -> Box:
        """The common part; an empty box (width or height 0) at the overlap's corner when none."""
        left, top = max(self.x, other.x), max(self.y, other.y)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        return Box(left, top, max(0, right - left), max(0, bottom - top))

    def clamp_to(self, canvas_w: int, canvas_h: int) -> Box:
        return self.intersect(Box(0, 0, canvas_w, canvas_h))

    def contains(self, other: Box) -> bool:
        """Every pixel of `other` is inside this box (an empty box is inside everything)."""
        if other.empty:
            return True
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def union(self, other: Box) -> Box:
        """The smallest box holding both (empty boxes are ignored)."""
        if other.empty:
            return self
        if self.empty:
            return other
        return Box.from_edges(
            min(self.x, other.x),
            min(self.y, other.y),
            max(self.right, other.right),
            max(self.bottom, other.bottom),
        )

    def translated(self, dx: int, dy: int) -> Box:
        return Box(self.x + dx, self.y + dy, self.width, self.height)

    def padded(self, amount: int) -> Box:
        return Box(self.x - amount, self.y - amount, self.width + 2 * amount, self.height + 2 * amount)


def scale_box(box: Box, src: Size, dst: Size) -> Box:
    """The same region in an image of size `dst` that `box` is in an image of size `src`.

    Rounds outward (floor the left/top edge, ceil the right/bottom edge) so every pixel that was covered
    stays covered — what a mask needs when it follows an image through a resize."""
    if src.width <= 0 or src.height <= 0:
        raise BadInput(f"Cannot scale from an empty image ({src}).")
    left = box.x * dst.width // src.width
    top = box.y * dst.height // src.height
    right = -(-box.right * dst.width // src.width)
    bottom = -(-box.bottom * dst.height // src.height)
    return Box.from_edges(left, top, right, bottom)


def map_point(x: int, y: int, src: Size, dst: Size) -> tuple[int, int]:
    """The pixel of a `dst`-sized image that covers pixel (x, y) of a `src`-sized image (nearest, floor)."""
    if src.width <= 0 or src.height <= 0:
        raise BadInput(f"Cannot map from an empty image ({src}).")
    return x * dst.width // src.width, y * dst.height // src.height


@dataclass(frozen=True)
class Plan:
    """Everything an adapter needs to cut the region, send it and put the answer back."""

    canvas: Box
    #: the selection's bounding box clipped to the canvas; None = no selection
    selection: Box | None
    #: the region of the canvas to send; the result is placed back exactly here
    context: Box
    #: pixel size of the image we send (== context size unless downscaled)
    send_size: Size
    #: the size to ask the model for; None = "auto" (the provider picks)
    request_size: Size | None
    #: the size we expect back: the request size, or for "auto" on a fixed-size model the listed size
    #: whose aspect is closest to the context (what the provider will most likely pick)
    suggested_size: Size | None = None

    @property
    def placement(self) -> Box:
        return self.context

    @property
    def downscaled(self) -> bool:
        return self.send_size != self.context.size

    @property
    def selection_in_context(self) -> Box | None:
        """The selection relative to the context's top-left corner (for masks cut to the context)."""
        if self.selection is None:
            return None
        return self.selection.translated(-self.context.x, -self.context.y)

    @property
    def aspect_distortion(self) -> float:
        """How much the answer is stretched when scaled into the placement: 1.0 = not at all, 1.05 = one
        axis 5 % more than the other. Non-zero when the canvas is too narrow to give the context the
        output's aspect (for example a 1×10000 canvas) or when sizes round to multiples of 16."""
        out = self.request_size or self.suggested_size
        if out is None:
            return 1.0
        a = Fraction(self.context.width * out.height, self.context.height * out.width)
        return float(max(a, 1 / a))


def plan_edit(
    canvas_w: int,
    canvas_h: int,
    selection: Box | None,
    rule: SizeRule,
    *,
    size: Size | None | str = "auto",
    padding: float = 0.15,
    min_padding: int = 16,
    max_send_side: int = 2048,
    whole_canvas_if_no_selection: bool = True,
) -> Plan:
    """Decide what to send and where the answer goes. Raises `BadInput` for an empty canvas or selection
    and `Unsupported` for a fixed size the model cannot make."""
    if canvas_w <= 0 or canvas_h <= 0:
        raise BadInput(f"The canvas is {canvas_w}x{canvas_h} pixels; it needs at least one pixel each way.")
    if max_send_side < 1:
        raise BadInput(f"The largest side to send must be at least 1 pixel, not {max_send_side}.")
    if padding < 0 or min_padding < 0:
        raise BadInput("Padding around the selection cannot be negative.")
    fixed = Size.parse(size) if isinstance(size, str) else size
    if fixed is not None:
        rule.check(fixed)
    canvas = Box(0, 0, canvas_w, canvas_h)

    if selection is None:
        if not whole_canvas_if_no_selection:
            raise BadInput("Nothing is selected. Select the area to edit first.")
        sel, context = None, canvas
    else:
        sel = selection.clamp_to(canvas_w, canvas_h)
        if sel.empty:
            raise BadInput("The selection is empty or lies outside the canvas.")
        pad = max(min_padding, round(padding * max(sel.width, sel.height)))
        context = _pad_inside(sel, pad, canvas_w, canvas_h)
        context = _grow_to_aspect(context, _target_aspect(context, rule, fixed), canvas_w, canvas_h)

    if fixed is not None:
        request, suggested = fixed, fixed
    elif rule.custom:
        request = best_custom_size(rule, context.width, context.height)
        suggested = request
    else:
        suggested = closest_fixed_size(rule.fixed, context.width, context.height)
        request = None if rule.allows_auto else suggested

    return Plan(
        canvas=canvas,
        selection=sel,
        context=context,
        send_size=fit_within(context.width, context.height, max_send_side),
        request_size=request,
        suggested_size=suggested,
    )


def fit_within(width: int, height: int, max_side: int) -> Size:
    """Scale (width, height) down proportionally so the longer side is at most `max_side`; never up.
    The shorter side is rounded to nearest and kept at least 1 pixel."""
    longest = max(width, height)
    if longest <= max_side:
        return Size(width, height)
    if width >= height:
        return Size(max_side, max(1, (2 * height * max_side + width) // (2 * width)))
    return Size(max(1, (2 * width * max_side + height) // (2 * height)), max_side)


def _pad_inside(sel: Box, pad: int, canvas_w: int, canvas_h: int) -> Box:
    """`sel` grown by `pad` on every side, but kept inside the canvas by sliding rather than cutting: a
    selection against the canvas edge gets its missing padding on the opposite side, so the model still
    sees as much surrounding picture (plain clamping would give a corner selection a quarter of it)."""
    w = min(sel.width + 2 * pad, canvas_w)
    h = min(sel.height + 2 * pad, canvas_h)
    return Box(
        _centre_shift(sel.x, sel.width, w, canvas_w), _centre_shift(sel.y, sel.height, h, canvas_h), w, h
    )


def _log_aspect_error(w1: int, h1: int, w2: int, h2: int) -> float:
    return abs(math.log((w1 * h2) / (h1 * w2)))


def closest_fixed_size(sizes: tuple[Size, ...], width: int, height: int) -> Size:
    """The listed size whose aspect ratio is nearest (in log terms, so 2:1 and 1:2 are equally far from 1:1)
    to width:height. Ties go to the earlier size, so the answer is stable."""
    if not sizes:
        raise Unsupported("This model lists no output sizes.")
    return min(sizes, key=lambda s: _log_aspect_error(s.width, s.height, width, height))


def _clamped_aspect(width: int, height: int, max_ratio: float) -> Fraction:
    limit = Fraction(max_ratio).limit_denominator(1000)
    return min(max(Fraction(width, height), 1 / limit), limit)


def _target_aspect(context: Box, rule: SizeRule, fixed: Size | None) -> Fraction:
    if fixed is not None:
        return Fraction(fixed.width, fixed.height)
    if rule.fixed:
        s = closest_fixed_size(rule.fixed, context.width, context.height)
        return Fraction(s.width, s.height)
    return _clamped_aspect(context.width, context.height, rule.max_ratio)


def _grow_to_aspect(box: Box, target: Fraction, canvas_w: int, canvas_h: int) -> Box:
    """Grow `box` along one axis toward `target` (= width/height), centred on the box and shifted to stay
    inside the canvas. It never shrinks, so the selection inside stays whole. When the canvas is too
    small in that direction the box takes the whole canvas extent and keeps the residual distortion
    (reported by `Plan.aspect_distortion`); the adapter then stretches the answer slightly."""
    p, q = target.numerator, target.denominator
    w, h = box.width, box.height
    if w * q < h * p:  # too narrow → widen
        new_w = min(canvas_w, -(-h * p // q))
        x = _centre_shift(box.x, w, new_w, canvas_w)
        return Box(x, box.y, new_w, h)
    if w * q > h * p:  # too wide → heighten
        new_h = min(canvas_h, -(-w * q // p))
        y = _centre_shift(box.y, h, new_h, canvas_h)
        return Box(box.x, y, w, new_h)
    return box


def _centre_shift(start: int, length: int, new_length: int, limit: int) -> int:
    # Centring puts the new start in [start + length - new_length, start]; clamping into [0, limit -
    # new_length] keeps it there because the old span already lies inside [0, limit].
    return min(max(start - (new_length - length) // 2, 0), limit - new_length)


def best_custom_size(rule: SizeRule, width: int, height: int) -> Size:
    """The valid custom size (gpt-image-2 rules) that best matches a width×height region: closest aspect
    first (clamped to the rule's ratio), and a pixel count near the region's, raised to the rule's minimum
    for small regions and lowered to its maximum for huge ones."""
    if width <= 0 or height <= 0:
        raise BadInput(f"Cannot choose an output size for an empty region ({width}x{height}).")
    aspect = _clamped_aspect(width, height, rule.max_ratio)
    a = float(aspect)
    target_px = min(max(width * height, rule.min_pixels), rule.max_pixels)
    step = rule.step
    best: tuple[float, int, int] | None = None
    for h in range(step, rule.max_edge + 1, step):
        ideal = a * h
        for w in {math.floor(ideal / step) * step, math.ceil(ideal / step) * step}:
            if not _custom_ok(rule, w, h):
                continue
            score = abs(math.log(w / (h * a))) + _PIXEL_WEIGHT * abs(math.log(w * h / target_px))
            cand = (score, w, h)
            if best is None or cand < best:
                best = cand
    if best is None:
        raise Unsupported("No output size satisfies this model's size rules.")
    return Size(best[1], best[2])


def _custom_ok(rule: SizeRule, w: int, h: int) -> bool:
    # The same limits as SizeRule.check, inlined: check() builds messages and raises, far too slow for
    # the few hundred candidates tried per plan.
    return (
        w > 0
        and h > 0
        and w % rule.step == 0
        and h % rule.step == 0
        and max(w, h) <= rule.max_edge
        and max(w, h) <= rule.max_ratio * min(w, h)
        and rule.min_pixels <= w * h <= rule.max_pixels
    )


# --- masks (1 byte per pixel, row-major) -----------------------------------------------------------------


def mask_crop(mask: bytes, mask_box: Box, context: Box) -> bytes:
    """The part of a selection mask covering `context`, with zeros where the mask does not reach.

    `mask` covers `mask_box` (canvas coordinates), as hosts return the selection for its bounding box."""
    if len(mask) != mask_box.area:
        raise BadInput(
            f"The selection mask has {len(mask)} bytes but its box {mask_box.width}x{mask_box.height} "
            f"needs {mask_box.area}."
        )
    out = bytearray(context.area)
    common = mask_box.intersect(context)
    if common.empty:
        return bytes(out)
    src = memoryview(mask)
    cw, mw, iw = context.width, mask_box.width, common.width
    sx, dx = common.x - mask_box.x, common.x - context.x
    for row in range(common.y, common.bottom):
        s = (row - mask_box.y) * mw + sx
        d = (row - context.y) * cw + dx
        out[d : d + iw] = src[s : s + iw]
    return bytes(out)


def resize_nearest(
    data: bytes, width: int, height: int, new_width: int, new_height: int, channels: int = 1
) -> bytes:
    """Nearest-neighbour resize of a row-major 8-bit image, for masks that must match a downscaled image
    (OpenAI wants the mask exactly the size of the image). Each output pixel samples the source pixel
    under its centre; iteration runs in C (`map`), only rows loop in Python."""
    if len(data) != width * height * channels:
        raise BadInput(f"Image data has {len(data)} bytes, expected {width}x{height}x{channels}.")
    if new_width <= 0 or new_height <= 0:
        raise BadInput(f"Cannot resize to an empty image ({new_width}x{new_height}).")
    if (new_width, new_height) == (width, height):
        return bytes(data)
    cols = [(2 * x + 1) * width // (2 * new_width) for x in range(new_width)]
    index = [c * channels + k for c in cols for k in range(channels)]
    stride = width * channels
    rows: list[bytes] = []
    last_src, last_row = -1, b""
    for y in range(new_height):
        sy = (2 * y + 1) * height // (2 * new_height)
        if sy != last_src:
            src_row = data[sy * stride : (sy + 1) * stride]
            last_row, last_src = bytes(map(src_row.__getitem__, index)), sy
        rows.append(last_row)
    return b"".join(rows)
