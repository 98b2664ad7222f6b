"""Where an edit goes: property tests for the context box, request size, send size and mask helpers."""

from __future__ import annotations

import math

import pytest
from gptedit.errors import BadInput, Unsupported
from gptedit.geometry import (
    Box,
    Plan,
    best_custom_size,
    fit_within,
    map_point,
    mask_crop,
    plan_edit,
    resize_nearest,
    scale_box,
)
from gptedit.models import Size
from gptedit.sizes import FIXED, GPT_IMAGE_2, STANDARD_SIZES, SizeRule
from hypothesis import assume, given, settings
from hypothesis import strategies as st

RULES = st.sampled_from([FIXED, GPT_IMAGE_2, SizeRule(fixed=STANDARD_SIZES, allows_auto=False)])
# Canvas sides from 1 px to 100000 px, biased toward the edges of that range where bugs live.
SIDE = st.one_of(
    st.integers(1, 64), st.integers(1, 5000), st.integers(5000, 100_000), st.sampled_from([1, 2, 10_000])
)


@st.composite
def canvas_and_selection(draw):
    w, h = draw(SIDE), draw(SIDE)
    if draw(st.integers(0, 9)) == 0:
        return w, h, None
    # Selections may stick out of the canvas on any side, but must overlap it.
    x = draw(st.integers(-w, w - 1))
    y = draw(st.integers(-h, h - 1))
    sw = draw(st.integers(max(1, -x + 1), max(1, -x + 1) + 2 * w))
    sh = draw(st.integers(max(1, -y + 1), max(1, -y + 1) + 2 * h))
    return w, h, Box(x, y, sw, sh)


SIZE_CHOICE = st.sampled_from(["auto", None, "auto-fixed"])


def _size_for(rule: SizeRule, choice):
    if choice == "auto-fixed":
        return (rule.fixed or (Size(2048, 1152),))[0]
    return choice


def _plan(w, h, sel, rule, choice, **kw) -> Plan:
    return plan_edit(w, h, sel, rule, size=_size_for(rule, choice), **kw)


@settings(max_examples=400, deadline=None)
@given(canvas_and_selection(), RULES, SIZE_CHOICE, st.integers(1, 4096))
def test_plan_invariants(cs, rule, choice, max_side):
    w, h, sel = cs
    plan = _plan(w, h, sel, rule, choice, max_send_side=max_side)
    canvas = Box(0, 0, w, h)
    # context within the canvas, never empty, and the result goes back exactly there
    assert plan.canvas == canvas
    assert not plan.context.empty
    assert canvas.contains(plan.context)
    assert plan.placement == plan.context
    # the clipped selection is whole inside the context
    if sel is None:
        assert plan.selection is None and plan.context == canvas
    else:
        assert plan.selection == sel.clamp_to(w, h)
        assert plan.context.contains(plan.selection)
        # padded by 15 % of the longer side (at least 16 px) wherever the canvas has room, even at its edges
        pad = max(16, round(0.15 * max(plan.selection.width, plan.selection.height)))
        assert plan.context.width >= min(w, plan.selection.width + 2 * pad)
        assert plan.context.height >= min(h, plan.selection.height + 2 * pad)
        inner = plan.selection_in_context
        assert Box(0, 0, plan.context.width, plan.context.height).contains(inner)
    # the request size is one the model accepts
    if plan.request_size is None:
        assert rule.fixed and rule.allows_auto and choice != "auto-fixed"
        assert plan.suggested_size in rule.fixed
    else:
        assert rule.accepts(plan.request_size)
    assert plan.suggested_size is not None and rule.accepts(plan.suggested_size)
    # the sent image is no larger than asked, never upscaled, and keeps the context's aspect
    s, c = plan.send_size, plan.context
    assert 1 <= s.width <= c.width and 1 <= s.height <= c.height
    assert max(s.width, s.height) <= max_side
    assert max(s.width, s.height) == min(max(c.width, c.height), max_side)
    if c.width >= c.height:
        assert abs(s.height - c.height * s.width / c.width) <= 0.5 + (s.height == 1)
    else:
        assert abs(s.width - c.width * s.height / c.height) <= 0.5 + (s.width == 1)
    assert plan.aspect_distortion >= 1.0


@settings(max_examples=300, deadline=None)
@given(canvas_and_selection(), RULES, SIZE_CHOICE)
def test_plan_is_deterministic(cs, rule, choice):
    w, h, sel = cs
    assert _plan(w, h, sel, rule, choice) == _plan(w, h, sel, rule, choice)


@settings(max_examples=400, deadline=None)
@given(canvas_and_selection(), RULES, SIZE_CHOICE)
def test_context_takes_the_output_aspect_unless_the_canvas_is_too_small(cs, rule, choice):
    w, h, sel = cs
    assume(sel is not None)
    plan = _plan(w, h, sel, rule, choice)
    c = plan.context
    if rule.custom and choice != "auto-fixed":
        # "auto" on gpt-image-2: the box keeps its own shape, only pulled back within 3:1
        if c.width > 3 * c.height:
            assert c.height == h, "a box wider than 3:1 must have been heightened to the canvas limit"
        if c.height > 3 * c.width:
            assert c.width == w
        return
    p, q = plan.suggested_size.width, plan.suggested_size.height
    # Growing rounds the grown side up, so one pixel less would undershoot; otherwise the canvas stopped it.
    if c.width * q < c.height * p:  # taller than the target
        assert c.width == w or (c.height - 1) * p < c.width * q
    elif c.width * q > c.height * p:  # wider than the target
        assert c.height == h or (c.width - 1) * q < c.height * p


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 200_000), st.integers(1, 200_000))
def test_custom_size_is_valid_and_close_in_aspect(w, h):
    size = best_custom_size(GPT_IMAGE_2, w, h)
    assert GPT_IMAGE_2.accepts(size)
    want = min(max(w / h, 1 / 3), 3)
    assert abs(math.log(size.width / size.height / want)) < 0.035
    # the pixel count aimed at: the region's, within the limits, and no more than the longest edge allows
    # at this aspect (3840x1280 is the largest 3:1 size)
    target = min(max(w * h, GPT_IMAGE_2.min_pixels), GPT_IMAGE_2.max_pixels, 3840**2 / max(want, 1 / want))
    assert 0.75 <= size.pixels / target <= 1.34


@given(st.integers(1, 100_000), st.integers(1, 100_000), st.integers(1, 8192))
def test_fit_within_never_upscales_and_keeps_the_longer_side(w, h, m):
    s = fit_within(w, h, m)
    assert max(s.width, s.height) == min(max(w, h), m)
    assert s.width <= w and s.height <= h


# --- concrete cases the properties above generalise ------------------------------------------------------


def test_one_pixel_selection_in_the_middle_gets_minimum_padding():
    plan = plan_edit(1000, 1000, Box(500, 500, 1, 1), GPT_IMAGE_2)
    assert plan.context == Box(484, 484, 33, 33)
    assert plan.request_size == Size(816, 816)  # smallest square with ≥ 655,360 px on the 16-grid
    assert plan.send_size == Size(33, 33)


def test_corner_selection_slides_its_padding_inward_instead_of_losing_it():
    plan = plan_edit(4000, 3000, Box(3990, 2990, 50, 50), GPT_IMAGE_2)
    assert plan.selection == Box(3990, 2990, 10, 10)
    assert plan.context == Box(3958, 2958, 42, 42)
    assert plan.context.right == 4000 and plan.context.bottom == 3000


def test_whole_canvas_selection_sends_the_whole_canvas():
    plan = plan_edit(1200, 800, Box(0, 0, 1200, 800), FIXED)
    assert plan.context == plan.canvas == Box(0, 0, 1200, 800)
    assert plan.request_size is None and plan.suggested_size == Size(1536, 1024)


def test_no_selection_means_whole_canvas_or_a_clear_error():
    assert plan_edit(300, 200, None, FIXED).context == Box(0, 0, 300, 200)
    with pytest.raises(BadInput, match="Nothing is selected"):
        plan_edit(300, 200, None, FIXED, whole_canvas_if_no_selection=False)


def test_wide_selection_grows_taller_for_a_fixed_size_model():
    plan = plan_edit(2000, 2000, Box(500, 1000, 600, 100), FIXED)
    # padded by 15 % of 600 = 90 → 780x280, then heightened to 3:2 → 780x520, centred on the selection
    assert plan.suggested_size == Size(1536, 1024)
    assert plan.context == Box(410, 790, 780, 520)


def test_explicit_size_sets_the_aspect():
    plan = plan_edit(4000, 4000, Box(1000, 1000, 400, 400), GPT_IMAGE_2, size="2048x1152")
    assert plan.request_size == Size(2048, 1152)
    c = plan.context
    assert c.width * 1152 >= c.height * 2048 and (c.width - 1) * 1152 < c.height * 2048


@pytest.mark.parametrize(("w", "h"), [(1, 10_000), (10_000, 1)])
def test_extreme_canvases_keep_what_they_can_and_report_the_distortion(w, h):
    for rule in (FIXED, GPT_IMAGE_2):
        plan = plan_edit(w, h, None, rule)
        assert plan.context == Box(0, 0, w, h)
        assert max(plan.send_size.width, plan.send_size.height) == 2048
        assert min(plan.send_size.width, plan.send_size.height) == 1
        assert plan.aspect_distortion > 1000
    plan = plan_edit(w, h, None, GPT_IMAGE_2)
    assert max(plan.request_size.width, plan.request_size.height) == 3 * min(
        plan.request_size.width, plan.request_size.height
    )


def test_huge_canvas_is_downscaled_for_sending_and_asks_for_the_largest_square():
    plan = plan_edit(100_000, 100_000, None, GPT_IMAGE_2)
    assert plan.send_size == Size(2048, 2048) and plan.downscaled
    assert plan.request_size == Size(2880, 2880)  # 2880² = 8,294,400 = the pixel limit
    assert plan.aspect_distortion == 1.0


def test_tiny_canvas():
    plan = plan_edit(1, 1, Box(0, 0, 1, 1), FIXED)
    assert plan.context == Box(0, 0, 1, 1) and plan.send_size == Size(1, 1)


@pytest.mark.parametrize(
    "sel", [Box(10, 10, 0, 5), Box(10, 10, 5, 0), Box(-50, 0, 50, 10), Box(100, 100, 5, 5), Box(0, 0, -3, -3)]
)
def test_empty_or_off_canvas_selection_is_refused(sel):
    with pytest.raises(BadInput, match=r"^The selection is empty or lies outside the canvas\.$"):
        plan_edit(100, 100, sel, FIXED)


@pytest.mark.parametrize(("w", "h"), [(0, 10), (10, 0), (-1, -1)])
def test_empty_canvas_is_refused(w, h):
    with pytest.raises(BadInput, match="canvas"):
        plan_edit(w, h, None, FIXED)


def test_a_size_the_model_cannot_make_is_refused_before_anything_else():
    with pytest.raises(Unsupported, match="1024x1024"):
        plan_edit(100, 100, None, FIXED, size="2048x2048")
    with pytest.raises(Unsupported, match="multiples of 16"):
        plan_edit(100, 100, None, GPT_IMAGE_2, size="1000x1000")


def test_model_without_auto_gets_an_explicit_request():
    rule = SizeRule(fixed=STANDARD_SIZES, allows_auto=False)
    plan = plan_edit(900, 1400, None, rule)
    assert plan.request_size == Size(1024, 1536)


# --- boxes -----------------------------------------------------------------------------------------------

BOXES = st.builds(Box, st.integers(-50, 50), st.integers(-50, 50), st.integers(0, 60), st.integers(0, 60))


@given(BOXES, BOXES)
def test_box_algebra(a, b):
    i = a.intersect(b)
    assert i == b.intersect(a) or (i.empty and b.intersect(a).empty)
    assert a.contains(i) and b.contains(i)
    u = a.union(b)
    assert u.contains(a) and u.contains(b)
    assert i.area <= min(a.area, b.area)
    assert a.intersect(a) == a or a.empty
    assert a.translated(3, -4).translated(-3, 4) == a


@given(BOXES, st.integers(1, 400), st.integers(1, 400), st.integers(1, 400), st.integers(1, 400))
def test_scale_box_covers_every_mapped_pixel(box, sw, sh, dw, dh):
    src, dst = Size(sw, sh), Size(dw, dh)
    box = box.clamp_to(sw, sh)
    assume(not box.empty)
    out = scale_box(box, src, dst)
    for x in (box.x, box.right - 1):
        for y in (box.y, box.bottom - 1):
            px, py = map_point(x, y, src, dst)
            assert out.x <= px < out.right and out.y <= py < out.bottom


# --- masks -----------------------------------------------------------------------------------------------


def _naive_crop(mask, mb: Box, ctx: Box) -> bytes:
    out = bytearray()
    for y in range(ctx.y, ctx.bottom):
        for x in range(ctx.x, ctx.right):
            inside = mb.x <= x < mb.right and mb.y <= y < mb.bottom
            out.append(mask[(y - mb.y) * mb.width + (x - mb.x)] if inside else 0)
    return bytes(out)


@settings(max_examples=200)
@given(BOXES, BOXES, st.randoms(use_true_random=False))
def test_mask_crop_matches_a_pixel_by_pixel_copy(mb, ctx, rnd):
    mask = bytes(rnd.randrange(256) for _ in range(mb.area))
    ctx = Box(ctx.x, ctx.y, max(1, ctx.width), max(1, ctx.height))
    assert mask_crop(mask, mb, ctx) == _naive_crop(mask, mb, ctx)


def test_mask_crop_rejects_a_mask_of_the_wrong_length():
    with pytest.raises(BadInput, match="needs 6"):
        mask_crop(b"\x00" * 5, Box(0, 0, 3, 2), Box(0, 0, 3, 2))


@settings(max_examples=200)
@given(
    st.integers(1, 20),
    st.integers(1, 20),
    st.integers(1, 30),
    st.integers(1, 30),
    st.sampled_from([1, 2, 4]),
    st.data(),
)
def test_resize_nearest_samples_the_pixel_under_each_centre(w, h, nw, nh, ch, data):
    src = bytes(data.draw(st.lists(st.integers(0, 255), min_size=w * h * ch, max_size=w * h * ch)))
    out = resize_nearest(src, w, h, nw, nh, ch)
    assert len(out) == nw * nh * ch
    for y in range(nh):
        for x in range(nw):
            sx, sy = (2 * x + 1) * w // (2 * nw), (2 * y + 1) * h // (2 * nh)
            assert (
                out[(y * nw + x) * ch : (y * nw + x + 1) * ch]
                == src[(sy * w + sx) * ch : (sy * w + sx + 1) * ch]
            )
