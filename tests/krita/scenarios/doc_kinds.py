"""Documents of every kind: 16-bit and float (linear) RGB and 8-bit grey (and, in doc_spaces.py, CMYK, Lab
and 8-bit RGB with a non-sRGB profile) converted for sending and the result converted back into the
document's colour space; a group and a vector layer read through their projection; a huge document
downscaled for sending and scaled back; an empty layer and an invisible image refused with a message and
the document untouched."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import doc_spaces  # noqa: E402
import kutil  # noqa: E402
from kqt import QByteArray  # noqa: E402
from krita import Krita, Selection  # noqa: E402

W, H = 120, 80
SPACES = [
    ("RGBA", "U16", "sRGB-elle-V2-srgbtrc.icc"),
    ("RGBA", "F32", "sRGB-elle-V2-g10.icc"),
    ("GRAYA", "U8", ""),
]
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80">'
    '<circle cx="60" cy="40" r="30" fill="#d04020" stroke="#103080" stroke-width="6"/></svg>'
)


def run(ctx):
    kutil.drive(ctx, scenario)


def select(doc, x, y, w, h):
    sel = Selection()
    sel.select(x, y, w, h, 255)
    doc.setSelection(sel)
    return bytes(doc.selection().pixelData(0, 0, doc.width(), doc.height()))


def wait_job(job):
    return (lambda: job.done, 60)


def scenario(ctx):
    k = Krita.instance()
    k.setBatchmode(True)
    from gptedit.errors import GptEditError
    from gptedit_krita import api

    # --- colour spaces: content made in 8-bit sRGB, then the document converted by Krita
    for model, depth, profile in SPACES:
        key = f"{model}-{depth}"
        doc = yield from kutil.new_doc(ctx, W, H, key)
        art = kutil.add_layer(doc, "art", kutil.pattern(W, H), 0, 0, W, H)
        if model == "RGBA":
            doc.setColorSpace(model, depth, profile)
        else:
            doc.setColorSpace(model, depth, "Gray-D50-elle-V2-srgbtrc.icc")
        doc.waitForDone()
        yield from kutil.activate(ctx, doc, art)
        mask = select(doc, 20, 10, 70, 40)
        before = kutil.srgb(doc)
        job = api.edit("[invert]", document=doc, layer=art)
        yield wait_job(job)
        after = kutil.srgb(doc)
        ctx.report(
            {
                key: {
                    "space": [doc.colorModel(), doc.colorDepth(), doc.colorProfile()],
                    "state": job.state,
                    "message": job.message,
                    "layer_space": [job.layer.colorModel(), job.layer.colorDepth()] if job.layer else None,
                    "diff": kutil.diff_inside_outside(before, after, mask, kutil.invert),
                    # whether the insert asked Krita to convert the colours on the GUI thread
                    "gui_converted": any(step[0] == "convert" for step in job.inserter.timings)
                    if job.inserter
                    else None,
                }
            }
        )

    # --- CMYK, Lab and 8-bit RGB with a wide-gamut or linear profile: identity and invert, colours compared
    yield from doc_spaces.spaces(ctx, api, select)

    # --- a group layer and a vector layer, read through their projection
    doc = yield from kutil.new_doc(ctx, W, H, "kinds")
    group = doc.createGroupLayer("group")
    inner = doc.createNode("inner", "paintlayer")
    inner.setPixelData(QByteArray(kutil.pattern(W, H, seed=40)), 0, 0, W, H)
    group.addChildNode(inner, None)
    doc.rootNode().addChildNode(group, None)
    yield from kutil.activate(ctx, doc, group)
    mask = select(doc, 10, 10, 50, 30)
    before = kutil.composite(doc)
    job = api.edit("[invert]", document=doc)  # the active node: the group
    yield wait_job(job)
    ctx.report(
        group_state=job.state,
        group_message=job.message,
        group_diff=kutil.diff_inside_outside(before, kutil.composite(doc), mask, kutil.invert),
    )
    job.layer.remove()
    group.setVisible(False)
    vec = doc.createVectorLayer("vector")
    doc.rootNode().addChildNode(vec, None)
    vec.addShapesFromSvg(SVG)
    doc.waitForDone()
    # shape layers render asynchronously: wait until the circle is really in the layer's pixels
    yield (lambda: any(bytes(vec.projectionPixelData(0, 0, W, H))[3::4]), 10)
    yield from kutil.activate(ctx, doc, vec)
    mask = select(doc, 25, 5, 70, 60)
    before = kutil.composite(doc)
    job = api.edit("[identity]", document=doc)
    yield wait_job(job)
    want = bytes(vec.projectionPixelData(0, 0, W, H))
    doc.refreshProjection()
    doc.waitForDone()
    got = bytes(job.layer.pixelData(0, 0, W, H)) if job.layer else b""
    inside = max(
        (
            kutil.max_diff(want[4 * i : 4 * i + 4], got[4 * i : 4 * i + 4])
            for i in range(W * H)
            if mask[i] >= 128
        ),
        default=0,
    )
    ctx.report(
        vector_state=job.state,
        vector_message=job.message,
        vector_inside=inside,
        vector_has_pixels=any(want[3::4]),
        vector_alpha=[sum(1 for a in want[3::4] if a), sum(1 for a in got[3::4] if a)],
        vector_box=job.snapshot.context()["context_box"],
        vector_composite=kutil.diff_inside_outside(before, kutil.composite(doc), mask, lambda px: px),
    )

    # --- an empty layer and an invisible image: a message, the document untouched
    empty = doc.createNode("empty", "paintlayer")
    doc.rootNode().addChildNode(empty, None)
    yield from kutil.activate(ctx, doc, empty)
    layers = kutil.names(doc.rootNode())
    try:
        api.edit("[invert]", document=doc)
        empty_message = None
    except GptEditError as exc:
        empty_message = exc.message
    for node in doc.rootNode().childNodes():
        node.setVisible(False)
    doc.refreshProjection()
    doc.waitForDone()
    yield 0.3
    try:
        api.edit("[invert]", document=doc, source="visible")
        hidden_message = None
    except GptEditError as exc:
        hidden_message = exc.message
    ctx.report(
        empty_message=empty_message,
        hidden_message=hidden_message,
        untouched=kutil.names(doc.rootNode()) == layers,
    )

    # --- a huge document: downscaled for sending, the answer scaled back over the whole canvas
    big_w, big_h = 3000, 2000
    doc = yield from kutil.new_doc(ctx, big_w, big_h, "huge")
    row = bytearray(4 * big_w)
    row[0::4] = bytes(x * 255 // big_w for x in range(big_w))
    row[3::4] = b"\xff" * big_w
    rows = []
    for y in range(big_h):
        row[1::4] = bytes([y * 255 // big_h]) * big_w
        rows.append(bytes(row))
    big = kutil.add_layer(doc, "gradient", b"".join(rows), 0, 0, big_w, big_h)
    yield from kutil.activate(ctx, doc, big)
    job = api.edit("[invert]", document=doc, max_send_side=1024)
    yield wait_job(job)
    plan = job.snapshot.plan
    sample = [(x, y) for x in range(5, big_w, 397) for y in range(5, big_h, 293)]
    src = bytes(big.pixelData(0, 0, big_w, big_h))
    out = bytes(job.layer.pixelData(0, 0, big_w, big_h)) if job.layer else b""
    worst = (
        max(
            kutil.max_diff(
                kutil.invert(src[4 * (y * big_w + x) : 4 * (y * big_w + x) + 4]),
                out[4 * (y * big_w + x) : 4 * (y * big_w + x) + 4],
            )
            for x, y in sample
        )
        if out
        else None
    )
    b = job.layer.bounds() if job.layer else None
    ctx.report(
        huge_state=job.state,
        huge_message=job.message,
        huge_send=[plan.send_size.width, plan.send_size.height],
        huge_bounds=[b.x(), b.y(), b.width(), b.height()] if b else None,
        huge_worst=worst,
    )
    ctx.done()
