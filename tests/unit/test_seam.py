"""The seam correction on drifted answers: each step measured against the drift the sandbox applied."""

from __future__ import annotations

import random

import pytest
from gptedit import cli_seam
from gptedit.sandbox import drift as D
from gptedit.sandbox import pictures as P
from gptedit.seam.align import Warp, dilate
from gptedit.seam.correct import WARN_CHANGED, Correction, SeamOptions
from gptedit.seam.feather import feather_mask, feather_width
from gptedit.seam.reduce import box_reduce, grey
from gptedit.seam.sharpen import chosen_amount, fit_amount, unsharp
from gptedit.seam.tone import IDENTITY, apply_tables, fit_curve
from PIL import Image, ImageChops, ImageFilter, ImageStat

SIDE = 512


def drifted(kind: str, strength: float = 1.0, seed: int = 0, side: int = SIDE):
    img = P.make(kind, side, side, 3)
    drift = D.draw(D.DriftSpec(strength, seed))
    return img, drift, D.apply(img, drift)


def corner_error(warp: Warp, drift: D.Drift, w: int, h: int) -> float:
    """Largest distance (box pixels) between where the estimate and the truth put a corner or the centre."""
    worst = 0.0
    for u, v in ((0, 0), (1, 0), (0, 1), (1, 1), (0.5, 0.5)):
        ue, ve = warp.to_answer(u, v)
        ut = 0.5 + drift.zoom * (u - 0.5) + drift.dx / w
        vt = 0.5 + drift.zoom * (v - 0.5) + drift.dy / h
        worst = max(worst, abs(ue - ut) * w, abs(ve - vt) * h)
    return worst


# --- reduce -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout,order", [("RGBA", (0, 1, 2)), ("BGRA", (2, 1, 0)), ("RGB", (0, 1, 2))])
def test_box_reduce_is_the_block_mean(layout, order):
    rnd = random.Random(4)
    w, h, f, ch = 37, 23, 4, len(layout)
    data = rnd.randbytes(w * h * ch)
    red = box_reduce(data, w, h, layout, f)
    assert (red.width, red.height) == (w // f, h // f)
    for x, y in ((0, 0), (8, 4), (3, 2)):
        for plane, k in zip(red.planes, order, strict=True):
            block = [data[((y * f + j) * w + x * f + i) * ch + k] for j in range(f) for i in range(f)]
            expect = sum(block) / f / f
            assert plane[y * red.width + x] * red.scale == pytest.approx(expect)


def test_reduced_grey_is_in_levels():
    data = bytes([200, 100, 50, 255]) * 64
    red = box_reduce(data, 8, 8, "RGBA", 2)
    assert grey(red)[0] == pytest.approx(0.299 * 200 + 0.587 * 100 + 0.114 * 50)


def test_dilate_grows_by_the_radius_and_does_not_wrap():
    w, h = 10, 6
    m = bytearray(w * h)
    m[2 * w + 9] = 1  # right edge of row 2
    out = dilate(bytes(m), w, h, 2)
    grown = {(i % w, i // w) for i, v in enumerate(out) if v}
    assert grown == {(x, y) for x in range(7, 10) for y in range(0, 5)}


# --- feather ------------------------------------------------------------------------------------------


def test_feather_fades_inside_the_selection_only():
    w, h = 200, 50
    mask = bytes(([0] * 100 + [255] * 100) * h)
    out = feather_mask(mask, w, h, 20)
    row = out[25 * w : 26 * w]
    assert row[:100] == bytes(100)  # nothing outside the selection
    assert row[122:] == b"\xff" * 78  # full strength a little past the fade width
    assert all(a <= b for a, b in zip(row, row[1:], strict=False))  # monotone
    assert 0 < row[100] < 40 and 100 < row[110] < 200


def test_feather_keeps_a_gap_in_the_selection_empty():
    w, h = 60, 60
    rows = [[255] * 60 for _ in range(60)]
    for y in range(60):
        rows[y][29] = rows[y][30] = 0  # a two-pixel slit through the selection
    out = feather_mask(bytes(v for r in rows for v in r), w, h, 10)
    assert all(out[y * w + 29] == 0 and out[y * w + 30] == 0 for y in range(h))


def test_feather_caps_a_soft_selection_by_itself():
    w, h = 80, 20
    mask = bytes(([0] * 40 + [128] * 40) * h)
    out = feather_mask(mask, w, h, 8)
    assert max(out) <= 128 and out[10 * w + 79] == 128 and out[10 * w + 39] == 0


def test_feather_leaves_a_uniform_mask_and_zero_width_alone():
    assert feather_mask(b"\xff" * 100, 10, 10, 6) == b"\xff" * 100
    mask = bytes([0, 255] * 50)
    assert feather_mask(mask, 10, 10, 0) == mask
    assert feather_mask(mask, 10, 10, 1) == mask


def test_feather_width_scales_with_the_region():
    assert feather_width(1000, 500, 2.0) == 20
    assert feather_width(4000, 3000, 2.0) == 80


# --- tone curves --------------------------------------------------------------------------------------


def test_tone_curve_recovers_gain_offset_and_gamma_under_noise():
    rnd = random.Random(1)
    truth = D.Drift(gain=(0.92, 1, 1), offset=(7, 0, 0), gamma=(1.12, 1, 1)).table(0)
    answer = [rnd.uniform(10, 245) for _ in range(20000)]
    original = [truth[min(255, int(a))] + rnd.gauss(0, 3) for a in answer]
    table = fit_curve(answer, original)
    assert all(abs(table[v] - truth[v]) <= 2 for v in range(12, 244))
    assert all(a <= b for a, b in zip(table, table[1:], strict=False))


def test_tone_curve_of_two_colours_keeps_the_slope():
    answer = [30.0] * 500 + [240.0] * 500
    table = fit_curve(answer, [40.0] * 500 + [235.0] * 500)
    assert abs(table[30] - 40) <= 1 and abs(table[240] - 235) <= 1
    assert 120 <= table[135] <= 150  # a straight line between the two, not a step


def test_too_few_pairs_fit_nothing_and_tables_touch_only_colour():
    assert fit_curve([1.0] * 10, [2.0] * 10) is None
    invert = bytes(255 - v for v in range(256))
    px = bytes([10, 20, 30, 40])
    assert apply_tables(px, 4, {0: invert, 2: IDENTITY}) == bytes([245, 20, 30, 40])


# --- the whole correction on drifted answers --------------------------------------------------------------


@pytest.mark.parametrize("kind", P.KINDS)
@pytest.mark.parametrize("strength,seed", [(0.5, 1), (1.0, 2), (2.0, 3)])
def test_alignment_and_colour_undo_the_drift(kind, strength, seed):
    img, drift, answer = drifted(kind, strength, seed)
    mask = P.ellipse_mask(SIDE, SIDE)
    corr = cli_seam.plan(img, answer, mask)
    rep = corr.report
    assert rep.corrected and rep.aligned and rep.colour_matched
    assert corner_error(corr.warp, drift, SIDE, SIDE) <= 0.5
    assert rep.shift_x == pytest.approx(drift.dx, abs=0.4) and rep.shift_y == pytest.approx(drift.dy, abs=0.4)
    assert rep.zoom_percent == pytest.approx((drift.zoom - 1) * 100, abs=0.1)
    assert rep.residual_after < rep.residual_before / 2
    assert rep.colour_change > 1.0
    assert not rep.warning and rep.changed_after < WARN_CHANGED


def _band_error(img, composite, mask: Image.Image, width: int) -> float:
    inner = mask
    for _ in range(max(1, width // 2)):
        inner = inner.filter(ImageFilter.MinFilter(3))
    band = ImageChops.subtract(mask, inner)
    diff = ImageChops.difference(composite.convert("RGB"), img.convert("RGB")).convert("L")
    return ImageStat.Stat(diff, band).mean[0]


@pytest.mark.parametrize("kind", ["photo", "flat"])
def test_corrected_composite_matches_the_original_at_the_edge(kind):
    """Identity edit + drift: after correction the band inside the selection edge differs from the
    original no more than an answer with only the blur and noise (which no correction can undo)."""
    img, _drift, answer = drifted(kind, 1.0, 5)
    mask = P.ellipse_mask(SIDE, SIDE)
    corr = cli_seam.plan(img, answer, mask)
    fixed = cli_seam.composite(img, cli_seam.corrected_layer(answer, corr), corr.mask)
    raw = cli_seam.composite(img, answer, mask.tobytes())
    floor = cli_seam.composite(
        img, D.apply(img, D.Drift(blur=D.BLUR_RADIUS, noise=D.NOISE_SIGMA, seed=5)), corr.mask
    )
    width = max(4, corr.report.feather_px)
    before, after, noise = (_band_error(img, x, mask, width) for x in (raw, fixed, floor))
    assert after <= noise * 1.15 + 0.3
    assert before > 3 * after


def test_an_answer_at_the_models_size_is_placed_in_one_resampling():
    """A drifted answer larger than the region (models answer at their own size) is scaled and moved in
    one Lanczos pass: its content lands where it belongs (the answer's own content, warped back, equals
    the original's away from the border) and the band error stays at the blur-and-noise floor."""
    img = P.make("photo", SIDE, SIDE, 3)
    drift = D.draw(D.DriftSpec(1.0, 5))
    answer = D.apply(img.resize((768, 768), Image.Resampling.LANCZOS), drift)
    mask = P.ellipse_mask(SIDE, SIDE)
    corr = cli_seam.plan(img, answer, mask)
    assert corr.moves and corner_error(corr.warp, drift, 768, 768) <= 0.5
    layer = cli_seam.corrected_layer(answer, corr)
    assert layer.size == img.size
    # where the zoomed/shifted answer does not reach, the layer is transparent; elsewhere opaque
    alpha = layer.getchannel("A")
    assert alpha.getpixel((SIDE // 2, SIDE // 2)) == 255
    fixed = cli_seam.composite(img, layer, corr.mask)
    floor = cli_seam.composite(
        img, D.apply(img, D.Drift(blur=D.BLUR_RADIUS, noise=D.NOISE_SIGMA, seed=5)), corr.mask
    )
    width = max(4, corr.report.feather_px)
    after, noise = (_band_error(img, x, mask, width) for x in (fixed, floor))
    assert after <= noise * 1.15 + 0.3, (after, noise)
    # the whole region (4 % border aside) matches the original to within the noise
    inner = (SIDE // 25, SIDE // 25, SIDE - SIDE // 25, SIDE - SIDE // 25)
    diff = ImageChops.difference(layer.convert("RGB").crop(inner), img.convert("RGB").crop(inner))
    assert max(ImageStat.Stat(diff).mean) <= D.NOISE_SIGMA + 1.0


def test_no_selection_corrects_nothing_and_says_so():
    img, _drift, answer = drifted("photo")
    corr = cli_seam.plan(img, answer, None)
    assert not corr.report.corrected and corr.mask is None and corr.tables is None and not corr.moves
    assert "No selection" in corr.report.summary()


def test_a_selection_covering_everything_corrects_nothing():
    img, _drift, answer = drifted("photo")
    corr = cli_seam.plan(img, answer, Image.new("L", img.size, 255))
    assert not corr.report.corrected and not corr.moves and corr.tables is None
    assert "too little" in corr.report.note


def test_each_step_can_be_switched_off():
    img, _drift, answer = drifted("flat")
    mask = P.ellipse_mask(SIDE, SIDE)
    no_align = cli_seam.plan(img, answer, mask, SeamOptions(align=False))
    assert not no_align.moves and no_align.tables is not None and not no_align.report.aligned
    no_colour = cli_seam.plan(img, answer, mask, SeamOptions(colour=False))
    assert no_colour.moves and no_colour.tables is None
    no_blend = cli_seam.plan(img, answer, mask, SeamOptions(blend=False))
    assert no_blend.mask == mask.tobytes() and no_blend.report.feather_px == 0
    wider = cli_seam.plan(img, answer, mask, SeamOptions(feather_percent=5.0))
    assert wider.report.feather_px == round(SIDE * 0.05)


def test_an_answer_of_another_size_is_measured_in_region_pixels():
    img = P.make("photo", 600, 400, 2)
    drift = D.draw(D.DriftSpec(1.0, 4))
    answer = D.apply(img.resize((1536, 1024), Image.Resampling.LANCZOS), drift)
    corr = cli_seam.plan(img, answer, P.ellipse_mask(600, 400))
    # the drift was drawn in answer pixels; the report is in pixels of the 600x400 region
    assert corr.report.shift_x == pytest.approx(drift.dx * 600 / 1536, abs=0.3)
    assert corr.report.shift_y == pytest.approx(drift.dy * 400 / 1024, abs=0.3)


def test_answer_rect_and_affine_describe_the_same_placement():
    corr = Correction(400, 300, 800, 600, warp=Warp(1.03, 0.01, -0.02))
    left, top, right, bottom = corr.answer_rect()
    a, _b, c, _d, e, f = corr.box_to_answer_affine()
    # the answer's corners (0 and 800/600) land on the rectangle's edges
    assert a * left + c == pytest.approx(0) and a * right + c == pytest.approx(800)
    assert e * top + f == pytest.approx(0) and e * bottom + f == pytest.approx(600)


def test_an_undrifted_answer_passes_through_untouched():
    img = P.make("photo", SIDE, SIDE, 3)
    corr = cli_seam.plan(img, img.copy(), P.ellipse_mask(SIDE, SIDE))
    assert not corr.moves and corr.tables is None
    assert corr.report.aligned and corr.report.colour_matched and not corr.report.warning


def test_an_inverted_outside_is_not_taken_for_drift():
    """A model without a mask (each::labs) repaints the whole region: inverting it is not drift, and
    matching colours to it would flatten the edit itself."""
    img = P.make("photo", SIDE, SIDE, 3)
    answer = Image.merge("RGB", [c.point(lambda v: 255 - v) for c in img.convert("RGB").split()])
    corr = cli_seam.plan(img, answer, P.ellipse_mask(SIDE, SIDE))
    assert corr.tables is None and not corr.moves
    assert corr.report.warning


def test_a_repainted_outside_is_warned_about():
    img, _drift, answer = drifted("photo")
    answer = answer.copy()
    answer.paste((20, 200, 40, 255), (0, 0, SIDE, SIDE // 3))  # the model repainted a third of it
    corr = cli_seam.plan(img, answer, P.ellipse_mask(SIDE, SIDE))
    assert corr.report.warning and "tighter selection" in corr.report.warning


def test_report_round_trips_through_json():
    img, _drift, answer = drifted("flat")
    rep = cli_seam.plan(img, answer, P.ellipse_mask(SIDE, SIDE)).report
    again = type(rep).from_json(rep.to_json())
    assert again.summary() == type(rep).from_json(again.to_json()).summary()
    assert again.aligned and again.shift_x == pytest.approx(rep.shift_x, abs=1e-3)


def test_estimation_on_a_2048_answer_is_quick():
    """Not a timing assertion on a shared machine: it runs once so a pathological slowdown (a Python loop
    per full-size pixel) would show as a very slow test, and checks the answer is still right."""
    img, drift, answer = drifted("photo", 1.0, 6, side=2048)
    corr = cli_seam.plan(img, answer, P.ellipse_mask(2048, 2048), SeamOptions(blend=False))
    assert corner_error(corr.warp, drift, 2048, 2048) <= 0.5


# --- the ledger keeps the report with the job -------------------------------------------------------------


def test_ledger_stores_the_report_with_the_job(tmp_path):
    from gptedit.ledger import JobRecord, Ledger

    ledger = Ledger(tmp_path / "jobs.sqlite")
    job = ledger.create(
        JobRecord(
            id="",
            origin="cli",
            provider="sandbox",
            protocol="eachlabs",
            model="m",
            base_url="http://127.0.0.1",
            prompt="p",
        )
    )
    assert ledger.get(job.id).seam is None
    img, _drift, answer = drifted("flat")
    rep = cli_seam.plan(img, answer, P.ellipse_mask(SIDE, SIDE)).report
    ledger.update(job.id, seam=rep.to_json())
    stored = ledger.get(job.id).seam
    assert stored["aligned"] and stored["shift_x"] == pytest.approx(rep.shift_x, abs=1e-3)


def test_an_older_ledger_gains_the_seam_column(tmp_path):
    import sqlite3

    from gptedit.ledger import JobRecord, Ledger

    path = tmp_path / "old.sqlite"
    Ledger(path).create(
        JobRecord(
            id="old",
            origin="cli",
            provider="sandbox",
            protocol="eachlabs",
            model="m",
            base_url="http://x",
            prompt="p",
        )
    )
    with sqlite3.connect(path) as conn:  # make it look like a ledger from before the column existed
        conn.execute("ALTER TABLE jobs DROP COLUMN seam")
    ledger = Ledger(path)
    assert ledger.get("old").seam is None
    ledger.update("old", seam={"corrected": False})
    assert ledger.get("old").seam == {"corrected": False}


def test_a_stored_correction_applies_the_same_way_again():
    img, _drift, answer = drifted("photo")
    corr = cli_seam.plan(img, answer, P.ellipse_mask(SIDE, SIDE))
    again = Correction.from_json(corr.to_json(), SIDE, SIDE, SIDE, SIDE)
    assert again.warp == corr.warp and again.tables == corr.tables
    assert again.report.summary() == corr.report.summary()
    assert not Correction.from_json({"warp": "junk", "tables": ["zz"]}, 4, 4, 4, 4).moves


def test_a_correction_measured_small_is_placed_large():
    img, drift, answer = drifted("flat")
    corr = cli_seam.plan(img, answer, P.ellipse_mask(SIDE, SIDE), SeamOptions(blend=False))
    big = corr.resized(SIDE * 2, SIDE * 2)
    assert big.warp == corr.warp and big.report.shift_x == pytest.approx(2 * corr.report.shift_x)
    left, top, right, bottom = big.answer_rect()
    assert right - left == pytest.approx(2 * SIDE / corr.warp.zoom)


def test_colours_of_a_model_without_a_mask_are_the_edit_not_drift():
    img, _drift, answer = drifted("photo")
    corr = cli_seam.plan(img, answer, P.ellipse_mask(SIDE, SIDE), SeamOptions(masked=False))
    assert corr.tables is None and corr.moves  # still lined up, colours left alone
    assert "takes no mask" in corr.report.note


# --- sharpen ------------------------------------------------------------------------------------------


def _unsharp_by_hand(data: bytes, w: int, x: int, y: int, c: int, amount: float) -> int:
    weights = ((-1, 1), (0, 2), (1, 1))
    blur = sum(wy * wx * data[((y + dy) * w + x + dx) * 4 + c] for dy, wy in weights for dx, wx in weights)
    here = data[(y * w + x) * 4 + c]
    return min(255, max(0, round(here + amount * (here - blur / 16))))


@pytest.mark.parametrize("amount", [0.5, 1.25, 2.0])
def test_unsharp_is_the_unsharp_mask_formula_clamped(amount):
    rnd = random.Random(9)
    w, h = 23, 11
    data = rnd.randbytes(w * h * 4)
    out = unsharp(data, w, h, 4, 3, amount)
    assert out[3::4] == data[3::4]  # alpha kept
    worst = max(
        abs(out[(y * w + x) * 4 + c] - _unsharp_by_hand(data, w, x, y, c, amount))
        for y in range(1, h - 1)
        for x in range(1, w - 1)
        for c in range(3)
    )
    assert worst <= 1  # rounding of exact halves only
    # the outermost pixels are kept (their blur would read a made-up neighbour)
    assert out[: w * 4] == data[: w * 4] and out[-w * 4 :] == data[-w * 4 :]
    assert all(out[(y * w) * 4 : (y * w) * 4 + 4] == data[(y * w) * 4 : (y * w) * 4 + 4] for y in range(h))
    # clamped: a random picture sharpened this much has levels pushed past both ends
    assert 0 in out[0::4] and 255 in out[0::4]


def test_fit_amount_finds_how_much_softer_a_blurred_copy_is():
    img = P.make("lineart", 256, 256, 2)
    soft = img.filter(ImageFilter.GaussianBlur(0.6))
    patches = [(x, y) for x in range(8, 240, 40) for y in range(8, 240, 40)]
    amount, gain = fit_amount(img.tobytes(), soft.tobytes(), 256, 4, (0, 1, 2), patches)
    assert 0.3 < amount < 2.0 and gain > 0.5, (amount, gain)
    # the same picture compared with itself is not softer: nothing to apply
    same = fit_amount(img.tobytes(), img.tobytes(), 256, 4, (0, 1, 2), patches)
    assert chosen_amount(*same) == 0.0


def _band_after(kind: str, strength: float, options: SeamOptions):
    img, drift, answer = drifted(kind, strength, 4)
    mask = P.ellipse_mask(SIDE, SIDE)
    corr = cli_seam.plan(img, answer, mask, options)
    layer = cli_seam.corrected_layer(answer, corr)
    fixed = cli_seam.composite(img, layer, corr.mask)
    return corr, layer, _band_error(img, fixed, mask, max(4, corr.report.feather_px))


def test_line_art_that_came_back_softer_is_sharpened_back():
    """Drifted line art (shifted, zoomed, blurred, noisy): the fitted unsharp mask brings the edge of the
    selection measurably closer to the original than the aligned, recoloured answer alone."""
    corr, _layer, sharpened = _band_after("lineart", 1.0, SeamOptions())
    _corr, _layer, plain = _band_after("lineart", 1.0, SeamOptions(sharpen=False))
    assert 0.25 <= corr.report.sharpened <= 2.0, corr.report
    assert corr.reference is None  # measured once; the original's pixels are let go
    assert "sharpness restored" in corr.report.summary()
    assert sharpened < 0.85 * plain, (sharpened, plain)


@pytest.mark.parametrize("kind", ["photo", "flat"])
def test_pictures_that_are_not_measurably_softer_are_left_alone(kind):
    corr, layer, _band = _band_after(kind, 1.0, SeamOptions())
    _corr, plain, _band = _band_after(kind, 1.0, SeamOptions(sharpen=False))
    assert corr.report.sharpened == 0.0 and "sharpness" not in corr.report.summary()
    assert layer.tobytes() == plain.tobytes()


def test_a_stored_correction_sharpens_by_the_amount_it_was_measured_with():
    corr, layer, _band = _band_after("lineart", 1.0, SeamOptions())
    img, _drift, answer = drifted("lineart", 1.0, 4)
    stored = Correction.from_json(corr.to_json(), SIDE, SIDE, answer.width, answer.height)
    # the ledger keeps the figure to 3 decimals; it is applied in steps of 1/16, so to the same step
    assert corr.report.sharpened > 0 and stored.reference is None
    assert stored.report.sharpened == pytest.approx(corr.report.sharpened, abs=0.001)
    assert cli_seam.corrected_layer(answer, stored).tobytes() == layer.tobytes()
