"""Drifted answers inserted by the plugin (the sandbox's `[drift]` tag: shift, zoom, tone, blur, noise on
top of the edit): the composite stays the original outside the selection and, at the selection's edge,
differs from it little more than the noise the sandbox adds; the transparency mask fades inside the
selection; the job reports what it corrected. The uncorrected answer is measured too, for comparison."""

import math
import os
import random
import sys

sys.path.insert(0, os.path.dirname(__file__))

import kutil  # noqa: E402
from krita import Krita, Selection  # noqa: E402

W, H = 900, 600
SEL = (300, 200, 300, 200)  # x, y, w, h


def textured(w, h):
    """Smooth colour fields with texture at several scales (what alignment needs), B,G,R,A."""
    cols = [(60 * math.sin(x / 9.0) + 30 * math.sin(x / 31.0), 50 * math.cos(x / 13.0)) for x in range(w)]
    rows = [(50 * math.sin(y / 11.0), 40 * math.cos(y / 7.0) + 30 * math.sin(y / 43.0)) for y in range(h)]
    diag = [35 * math.sin(d / 5.0) for d in range(w + h)]
    out = bytearray()
    for y in range(h):
        ry, gy = rows[y]
        for x in range(w):
            rx, gx = cols[x]
            d = diag[x + y]
            out += bytes(
                (
                    max(0, min(255, int(120 + gx + gy + d))),
                    max(0, min(255, int(128 + rx + gy))),
                    max(0, min(255, int(128 + rx + ry + d))),
                    255,
                )
            )
    return bytes(out)


def line_art(w, h, seed=4):
    """Dark strokes two pixels wide on paper at random places and angles (thin line art, what a soft answer
    shows most at a seam), B,G,R,A."""
    rnd = random.Random(seed)
    out = bytearray(bytes((232, 242, 246, 255)) * (w * h))
    ink = bytes((30, 22, 25, 255))
    for _ in range(90):
        x0, y0, x1, y1 = rnd.uniform(0, w), rnd.uniform(0, h), rnd.uniform(0, w), rnd.uniform(0, h)
        steps = int(2 * max(abs(x1 - x0), abs(y1 - y0))) + 1
        for i in range(steps + 1):
            x, y = int(x0 + (x1 - x0) * i / steps), int(y0 + (y1 - y0) * i / steps)
            for px, py in ((x, y), (x + 1, y), (x, y + 1), (x + 1, y + 1)):
                if px < w and py < h:
                    out[4 * (py * w + px) : 4 * (py * w + px) + 4] = ink
    return bytes(out)


def edge_distance(x, y):
    sx, sy, sw, sh = SEL
    return min(x - sx, sx + sw - 1 - x, y - sy, sy + sh - 1 - y)


def mean_diff(a, b, idx):
    total = sum(abs(a[4 * i + c] - b[4 * i + c]) for i in idx for c in range(3))
    return round(total / max(1, 3 * len(idx)), 3)


def raw_composite(before, job, box):
    """The composite an uncorrected answer would give: the answer scaled into the box, over the
    original through the plain selection."""
    from kqt import ARGB32, QImage, image_bytes

    qt = sys.modules["PyQt6.QtCore" if "PyQt6.QtCore" in sys.modules else "PyQt5.QtCore"].Qt
    img = QImage(job.record.results[0]).convertToFormat(ARGB32)
    img = img.scaled(
        box.width,
        box.height,
        qt.AspectRatioMode.IgnoreAspectRatio,
        qt.TransformationMode.SmoothTransformation,
    )
    data = image_bytes(img)
    out = bytearray(before)
    sx, sy, sw, sh = SEL
    for y in range(sy, sy + sh):
        for x in range(sx, sx + sw):
            j = 4 * ((y - box.y) * box.width + (x - box.x))
            out[4 * (y * W + x) : 4 * (y * W + x) + 4] = data[j : j + 4]
    return bytes(out)


def run(ctx):
    kutil.drive(ctx, scenario)


def scenario(ctx):
    k = Krita.instance()
    k.setBatchmode(True)
    from gptedit_krita import api

    doc = yield from kutil.new_doc(ctx, W, H, "seam")
    base = kutil.add_layer(doc, "base", textured(W, H), 0, 0, W, H)
    sel = Selection()
    sel.select(*SEL, 255)
    doc.setSelection(sel)
    yield from kutil.activate(ctx, doc, base)
    before = kutil.composite(doc)
    layers_before = kutil.names(doc.rootNode())

    job = api.edit(
        "[identity] [drift:1:5] keep everything",
        document=doc,
        layer=base,
        provider="openai",
        model="gpt-image-2",
    )
    yield (lambda: job.done, 120)
    after = kutil.composite(doc)
    box = job.snapshot.plan.context
    corr = job.seam[0] if job.seam else None
    feather = corr.report.feather_px if corr else 0
    sx, sy, sw, sh = SEL
    outside = [i for i in range(W * H) if not (sx <= i % W < sx + sw and sy <= i // W < sy + sh)]
    band = [
        (y * W + x)
        for y in range(sy, sy + sh)
        for x in range(sx, sx + sw)
        if edge_distance(x, y) < max(2, feather)
    ]
    centre = [
        (y * W + x)
        for y in range(sy, sy + sh)
        for x in range(sx, sx + sw)
        if edge_distance(x, y) >= max(2, feather)
    ]
    raw = raw_composite(before, job, box)
    masks = [c for c in job.layer.childNodes() if c.type() == "transparencymask"] if job.layer else []
    tmask = bytes(masks[0].pixelData(sx, sy + sh // 2, sw, 1)) if masks else b""
    ctx.report(
        state=job.state,
        message=job.message,
        seam=corr.to_json() if corr else None,
        box=[box.x, box.y, box.width, box.height],
        answer_size=[corr.answer_w, corr.answer_h] if corr else None,
        outside_max=max(kutil.max_diff(before[4 * i : 4 * i + 3], after[4 * i : 4 * i + 3]) for i in outside),
        band_after=mean_diff(before, after, band),
        band_raw=mean_diff(before, raw, band),
        centre_after=mean_diff(before, after, centre),
        centre_raw=mean_diff(before, raw, centre),
        mask_row=list(tmask[: feather + 3]) + list(tmask[sw // 2 : sw // 2 + 1]),
    )
    # one undo removes the layer with its mask
    root = doc.rootNode()
    k.action("edit_undo").trigger()
    doc.waitForDone()
    yield (lambda: kutil.names(root) == layers_before, 5)
    ctx.report(
        undo_max=kutil.max_diff(before, kutil.composite(doc)),
        undo_restores_layers=kutil.names(root) == layers_before,
    )

    # History ▸ Insert again: the correction stored at the first insert is applied again
    from gptedit_krita import history

    done = {}
    history.insert_again(job.job_id, doc, lambda node, error: done.update(node=node, error=error))
    yield (lambda: bool(done), 60)
    again = kutil.composite(doc)
    ctx.report(
        again_error=done.get("error"),
        again_band=mean_diff(before, again, band),
        again_outside_max=max(
            kutil.max_diff(before[4 * i : 4 * i + 3], again[4 * i : 4 * i + 3]) for i in outside
        ),
    )

    # every step switched off through the settings a script may pass: the answer goes in as it came
    off = api.edit(
        "[identity] [drift:1:5] keep everything",
        document=doc,
        layer=base,
        provider="openai",
        model="gpt-image-2",
        seam_align=False,
        seam_colour=False,
        seam_blend=False,
        seam_sharpen=False,
    )
    yield (lambda: off.done, 120)
    report = off.seam[0].report if off.seam else None
    ctx.report(
        off_state=off.state,
        off_message=off.message,
        off_steps=[report.aligned, report.colour_matched, report.feather_px, report.sharpened]
        if report
        else None,
    )

    # line art comes back softer: sharpened back by the amount measured, and not when switched off
    art_doc = yield from kutil.new_doc(ctx, W, H, "seam-lineart")
    art = kutil.add_layer(art_doc, "art", line_art(W, H), 0, 0, W, H)
    art_sel = Selection()
    art_sel.select(*SEL, 255)
    art_doc.setSelection(art_sel)
    yield from kutil.activate(ctx, art_doc, art)
    art_before = kutil.composite(art_doc)
    art_layers = kutil.names(art_doc.rootNode())
    for sharpen in (True, False):
        art_job = api.edit(
            "[identity] [drift:1:5] keep everything",
            document=art_doc,
            layer=art,
            provider="openai",
            model="gpt-image-2",
            seam_sharpen=sharpen,
        )
        yield (lambda job=art_job: job.done, 120)
        report = art_job.seam[0].report if art_job.seam else None
        width = max(2, report.feather_px if report else 0)
        art_band = [
            (y * W + x) for y in range(sy, sy + sh) for x in range(sx, sx + sw) if edge_distance(x, y) < width
        ]
        name = "sharp" if sharpen else "plain"
        ctx.report(
            **{
                f"art_{name}_state": art_job.state,
                f"art_{name}_message": art_job.message,
                f"art_{name}_sharpened": report.sharpened if report else None,
                f"art_{name}_band": mean_diff(art_before, kutil.composite(art_doc), art_band),
            }
        )
        k.action("edit_undo").trigger()
        art_doc.waitForDone()
        yield (lambda: kutil.names(art_doc.rootNode()) == art_layers, 5)
    ctx.done()
