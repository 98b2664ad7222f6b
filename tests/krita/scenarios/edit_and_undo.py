"""Inside real Krita: the menu action, then edits with the sandbox's [identity] and [invert] on a
non-square selection touching the canvas edge (GUI timer counted while the sandbox holds the job), one undo,
and a layer with an offset that is smaller than the canvas. Checks are computed here and reported; the test
asserts on them."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from kqt import QByteArray  # noqa: E402
from krita import Krita, Selection  # noqa: E402
from kutil import diff_inside_outside, invert, names, pattern, sandbox  # noqa: E402

W, H = 160, 100
HELD_TICKS = 50


def composite(doc):
    doc.refreshProjection()
    doc.waitForDone()
    return bytes(doc.pixelData(0, 0, W, H))


def run(ctx):
    k = Krita.instance()
    k.setBatchmode(True)
    act = k.action("gptedit_edit")
    ctx.report(
        action_text=act.text() if act else None,
        action_tooltip=act.toolTip() if act else None,
        menu=ctx.menu_path("gptedit_edit"),
        plugins=ctx.user_plugins(),
    )
    from gptedit_krita import api

    doc = ctx.new_document(W, H, "edit-and-undo")
    doc.setBatchmode(True)
    root = doc.rootNode()
    art = doc.createNode("art", "paintlayer")
    art.setPixelData(QByteArray(pattern(W, H)), 0, 0, W, H)
    root.addChildNode(art, None)
    doc.setActiveNode(art)
    # An L-shaped (non-square) selection touching the right canvas edge.
    sel = Selection()
    sel.select(100, 20, 60, 30, 255)
    sel.add(_rect(120, 50, 40, 40))
    doc.setSelection(sel)
    ctx.wait_for(lambda: doc.activeNode() is not None and doc.activeNode().name() == "art", timeout=5)
    ctx.report(active_node=doc.activeNode().name() if doc.activeNode() else None)
    ctx.sleep(1.5)  # the view's own start-up stall is not ours (hostenv.py pitfalls)
    mask = bytes(doc.selection().pixelData(0, 0, W, H))
    before = composite(doc)
    ctx.report(
        selection_box=[
            doc.selection().x(),
            doc.selection().y(),
            doc.selection().width(),
            doc.selection().height(),
        ],
        selected_pixels=sum(1 for v in mask if v >= 128),
    )

    # 1. identity. The sandbox holds the job running (the test set `hold`) until a GUI-thread timer has
    # ticked HELD_TICKS times; a plugin that waited on the network in the GUI thread would stop the ticks,
    # and the job would never end.
    ticker = ctx.ticker(10)
    job = api.edit("keep it as it is [identity]", document=doc, layer=art)
    ctx.wait_for(lambda: ticker.count >= HELD_TICKS or job.done, timeout=60)
    held = {"ticks_while_held": ticker.count, "done_while_held": job.done}
    sandbox(ctx, "config", {"hold": None})
    ctx.wait_for(lambda: job.done, timeout=60)
    ctx.report(
        gui={**ticker.stop(), **held},
        identity_state=job.state,
        identity_message=job.message,
    )
    if job.layer is None:
        ctx.fail(f"identity edit did not insert: {job.state}: {job.message}")
        return
    layer = job.layer
    after = composite(doc)
    ctx.report(
        identity_diff=diff_inside_outside(before, after, mask, lambda px: px),
        layers_after_identity=names(root),
        result_children=[[c.name(), c.type()] for c in layer.childNodes()],
        result_bounds=[
            layer.bounds().x(),
            layer.bounds().y(),
            layer.bounds().width(),
            layer.bounds().height(),
        ],
        context_box=job.snapshot.context()["context_box"],
        mask_matches=_mask_matches(layer, mask, job.snapshot.plan.context),
    )
    # one undo removes the layer together with its mask
    k.action("edit_undo").trigger()
    doc.waitForDone()
    ctx.wait_for(lambda: len(names(root)) == 2, timeout=5)
    ctx.report(
        layers_after_undo=names(root),
        undo_diff=diff_inside_outside(before, composite(doc), mask, lambda px: px),
    )

    # 2. invert inside the selection
    doc.setActiveNode(art)
    ctx.wait_for(lambda: doc.activeNode() is not None and doc.activeNode().name() == "art", timeout=5)
    job = api.edit("[invert]", document=doc, layer=art)
    ctx.wait_for(lambda: job.done, timeout=60)
    ctx.report(invert_state=job.state, invert_message=job.message)
    if job.layer is None:
        ctx.fail(f"invert edit did not insert: {job.state}: {job.message}")
        return
    ctx.report(
        invert_diff=diff_inside_outside(before, composite(doc), mask, invert),
        layers_after_invert=names(root),
        invert_above=names(root).index(job.layer.name()) == names(root).index("art") + 1,
    )
    job.layer.remove()
    art.setVisible(False)

    # 3. a layer with an offset, smaller than the canvas
    small = doc.createNode("small", "paintlayer")
    small.setPixelData(QByteArray(pattern(40, 30, seed=90)), 0, 0, 40, 30)
    small.move(30, 35)
    root.addChildNode(small, None)
    doc.setActiveNode(small)
    sel = Selection()
    sel.select(20, 30, 45, 25, 255)
    doc.setSelection(sel)
    ctx.wait_for(lambda: doc.activeNode() is not None and doc.activeNode().name() == "small", timeout=5)
    mask2 = bytes(doc.selection().pixelData(0, 0, W, H))
    before2 = composite(doc)
    b = small.bounds()
    ctx.report(small_bounds=[b.x(), b.y(), b.width(), b.height()])
    job = api.edit("[invert]", document=doc, layer=small)
    ctx.wait_for(lambda: job.done, timeout=60)
    if job.layer is None:
        ctx.fail(f"offset-layer edit did not insert: {job.state}: {job.message}")
        return
    small_px = bytes(small.projectionPixelData(0, 0, W, H))
    after2 = composite(doc)

    def expect(px_index):
        s = small_px[px_index : px_index + 4]
        return invert(s) if s[3] == 255 else before2[px_index : px_index + 4]

    inside = outside = 0
    for y in range(H):
        for x in range(W):
            i = 4 * (y * W + x)
            if mask2[y * W + x] >= 128:
                inside = max(
                    inside, max(abs(p - q) for p, q in zip(expect(i), after2[i : i + 4], strict=True))
                )
            else:
                outside = max(
                    outside,
                    max(abs(p - q) for p, q in zip(before2[i : i + 4], after2[i : i + 4], strict=True)),
                )
    ctx.report(
        offset_diff=[inside, outside],
        offset_state=job.state,
        offset_changed=sum(1 for i in range(0, len(after2), 4) if after2[i : i + 4] != before2[i : i + 4]),
    )
    ctx.done()


def _rect(x, y, w, h):
    s = Selection()
    s.select(x, y, w, h, 255)
    return s


def _mask_matches(layer, mask, box):
    """The transparency mask child holds the selection's pixels over the context box."""
    masks = [c for c in layer.childNodes() if c.type() == "transparencymask"]
    if not masks:
        return False
    data = bytes(masks[0].pixelData(box.x, box.y, box.width, box.height))
    want = b"".join(mask[(box.y + r) * W + box.x : (box.y + r) * W + box.right] for r in range(box.height))
    return data == want
