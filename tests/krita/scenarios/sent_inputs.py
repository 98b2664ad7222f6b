"""What is sent: the selection as a mask where the provider takes one (OpenAI gpt-image-2: only the
masked part changes), the other visible layers as reference images, the visible image instead of the
layer; and the scripting API's KritaJob.wait() keeping Krita responsive."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import kutil  # noqa: E402
from krita import Krita, Selection  # noqa: E402

W, H = 240, 160


def smooth(w, h, seed=0):
    out = bytearray()
    for y in range(h):
        for x in range(w):
            out += bytes(((x + seed) * 255 // (w + seed), (y * 255) // h, ((x + y) * 255) // (w + h), 255))
    return bytes(out)


def mean_diff(a, b, idx):
    total = sum(abs(a[4 * i + c] - b[4 * i + c]) for i in idx for c in range(3))
    return round(total / max(1, 3 * len(idx)), 2)


def run(ctx):
    kutil.drive(ctx, scenario)


def scenario(ctx):
    k = Krita.instance()
    k.setBatchmode(True)
    from gptedit_krita import api

    doc = yield from kutil.new_doc(ctx, W, H, "inputs")
    base = kutil.add_layer(doc, "base", smooth(W, H), 0, 0, W, H)
    sel = Selection()
    sel.select(90, 60, 60, 40, 255)
    faint = Selection()
    faint.select(150, 60, 10, 40, 40)  # barely selected, as a feathered edge is: the model may edit it too
    sel.add(faint)
    doc.setSelection(sel)
    yield from kutil.activate(ctx, doc, base)

    # OpenAI gpt-image-2 takes a mask: the answer changes inside the selection only
    job = api.edit("[invert] masked", document=doc, layer=base, provider="openai", model="gpt-image-2")
    waited = job.wait(60)  # the scripting API's wait pumps events
    box = job.snapshot.plan.context
    raw = bytes(job.layer.pixelData(0, 0, W, H)) if job.layer else b""
    src = bytes(base.pixelData(0, 0, W, H))
    mask = bytes(doc.selection().pixelData(0, 0, W, H))
    inside = [
        i
        for i in range(W * H)
        if mask[i] == 255 and box.x + 3 <= i % W < box.right - 3 and box.y + 3 <= i // W < box.bottom - 3
    ]
    ring = [
        i
        for i in range(W * H)
        if mask[i] == 0 and box.x + 3 <= i % W < box.right - 3 and box.y + 3 <= i // W < box.bottom - 3
    ]
    faint_idx = [
        i
        for i in range(W * H)
        if 0 < mask[i] < 128 and box.x + 3 <= i % W < box.right - 3 and box.y + 3 <= i // W < box.bottom - 3
    ]
    inv = bytes(v if j % 4 == 3 else 255 - v for j, v in enumerate(src))
    ctx.report(
        mask_state=job.state,
        mask_message=job.message,
        waited=waited,
        mask_request_size=str(job.snapshot.plan.request_size),
        inside_vs_inverted=mean_diff(raw, inv, inside),
        ring_vs_original=mean_diff(raw, src, ring),
        ring_vs_inverted=mean_diff(raw, inv, ring),
        faint_pixels=len(faint_idx),
        faint_vs_inverted=mean_diff(raw, inv, faint_idx),
        faint_vs_original=mean_diff(raw, src, faint_idx),
    )
    job.layer.remove()

    # references: another visible layer goes along as a second image
    top = kutil.add_layer(doc, "top", smooth(W, H, seed=60), 0, 0, W, H)
    top.setOpacity(128)
    yield 0.3  # (the layer to edit is named explicitly: Krita activates the new top layer on its own)
    job = api.edit("[identity] with references", document=doc, layer=base, references=True)
    yield (lambda: job.done, 60)
    ctx.report(ref_state=job.state, ref_names=[name for name, _ in job.snapshot.references])
    job.layer.remove()

    # the visible image instead of the layer: [identity] gives back the composite
    comp = kutil.composite(doc)
    job = api.edit("[identity] visible", document=doc, layer=base, source="visible")
    yield (lambda: job.done, 60)
    got = bytes(job.layer.pixelData(0, 0, W, H)) if job.layer else b""
    idx = [i for i in range(W * H) if mask[i] == 255]
    ctx.report(
        visible_state=job.state,
        visible_vs_composite=max(
            kutil.max_diff(comp[4 * i : 4 * i + 4], got[4 * i : 4 * i + 4]) for i in idx
        ),
    )

    # the document is closed while the job runs: nothing is inserted anywhere, the result is kept
    other = k.createDocument(64, 64, "closed-early", "RGBA", "U8", "", 72.0)
    other.setBatchmode(True)
    layer = kutil.add_layer(other, "art", kutil.pattern(64, 64), 0, 0, 64, 64)
    job = api.edit("[invert] closed early", document=other, layer=layer)
    other.close()
    yield (lambda: job.done, 60)
    ctx.report(closed_state=job.state, closed_message=job.message, closed_job=job.job_id)
    ctx.done()
