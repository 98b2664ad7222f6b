"""Variations (one masked group, one visible child, thumbnails switch, Keep; survives save and reopen),
History (Insert again into another document at the original place, Edit again with the result as input)
and a streaming provider's partial images as a preview."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import kutil  # noqa: E402
from krita import Krita, Selection  # noqa: E402

W, H = 200, 120


def children(node):
    return [[c.name(), c.type(), c.visible(), [m.type() for m in c.childNodes()]] for c in node.childNodes()]


def run(ctx):
    kutil.drive(ctx, scenario)


def scenario(ctx):
    k = Krita.instance()
    k.setBatchmode(True)
    docker = kutil.find_docker(ctx)
    k.action("gptedit_edit").trigger()
    doc = yield from kutil.new_doc(ctx, W, H, "vars")
    art = kutil.add_layer(doc, "art", kutil.pattern(W, H), 0, 0, W, H)
    sel = Selection()
    sel.select(30, 20, 90, 60, 255)
    doc.setSelection(sel)
    yield from kutil.activate(ctx, doc, art)

    # --- variations
    docker.set_prompt("[tint] warm light")
    docker.set_option("n", 3)
    job = docker.start_edit()
    yield (lambda: job.done, 60)
    if job.layer is None:
        ctx.fail(f"variations job: {job.state}: {job.message}")
        return
    group = job.layer
    box = job.snapshot.plan.context
    bx = (box.x, box.y, box.width, box.height)
    variation0 = bytes(group.childNodes()[0].pixelData(*bx))
    yield 0.3
    ctx.report(
        var_state=job.state,
        var_type=group.type(),
        var_children=children(group),
        var_layers=kutil.names(doc.rootNode()),
        panel_visible=docker.variations.isVisible(),
        panel_buttons=len(docker.variations.buttons),
    )
    comp0 = kutil.composite(doc)
    docker.variations.select(2)
    comp2 = kutil.composite(doc)
    ctx.report(
        after_select=children(group),
        select_changed=comp0 != comp2,
        outside_same=_outside_same(comp0, comp2, doc.selection()),
    )

    # save, close, reopen: the variations live in the layer stack
    path = os.path.join(ctx.params["artifacts"], "variations.kra")
    saved = doc.saveAs(path)
    yield 0.5
    # (the first document stays open: closing a document that has a view crashed Krita 5.2 here)
    doc = k.openDocument(path)
    doc.setBatchmode(True)
    ctx.window.addView(doc)
    k.setActiveDocument(doc)
    yield (lambda: doc.activeNode() is not None, 10)
    group = next(n for n in doc.rootNode().childNodes() if n.type() == "grouplayer")
    yield from kutil.activate(ctx, doc, group)
    docker.variations.follow_active(doc)
    ctx.report(
        saved=saved,
        reopened_children=children(group),
        reopened_panel=docker.variations.isVisible(),
        reopened_buttons=len(docker.variations.buttons),
    )
    docker.variations.keep()
    ctx.report(after_keep=children(group))

    # --- history: Insert again into another document, at the original place
    docker.history.refresh()
    yield (lambda: any(r.id == job.job_id for r in docker.history.records), 10)
    rec = next(r for r in docker.history.records if r.id == job.job_id)
    ctx.report(
        history_prompt=rec.prompt,
        history_results=len(rec.results),
        history_state=rec.state.value,
        history_items=docker.history.list.count(),
    )
    doc3 = yield from kutil.new_doc(ctx, W, H, "again")
    got = {}
    docker.history.insert_selected(job.job_id, on_done=lambda node, err: got.update(node=node, err=err))
    yield (lambda: "err" in got, 20)
    node = got.get("node")
    ctx.report(
        insert_error=got.get("err"),
        insert_type=node.type() if node else None,
        insert_children=children(node) if node else None,
        insert_same_pixels=(bytes(node.childNodes()[0].pixelData(*bx)) == variation0) if node else None,
        insert_layers=kutil.names(doc3.rootNode()),
    )

    # --- Edit again: the first result becomes the input ([identity] gives it back unchanged)
    docker.set_option("n", 1)
    started = {}
    docker.history.edit_selected(
        job.job_id, prompt="[identity] again", on_started=lambda j, err: started.update(job=j, err=err)
    )
    yield (lambda: "err" in started, 20)
    again = started.get("job")
    if again is None:
        ctx.fail(f"edit again: {started.get('err')}")
        return
    yield (lambda: again.done, 60)
    ctx.report(
        again_state=again.state,
        again_message=again.message,
        again_same_pixels=(bytes(again.layer.pixelData(*bx)) == variation0) if again.layer else None,
    )

    # --- streaming: partial images show as a preview while the provider works
    docker.set_option("provider", "openai")
    docker.set_option("model", "gpt-image-2.6-flare")
    seen = []
    job = docker.start_edit("[tint] streamed")
    if job is None:
        ctx.fail(f"streaming job refused: {docker.message()}")
        return
    job.changed.connect(lambda: seen.append(job.preview is not None and not job.done))
    yield (lambda: job.done, 60)
    ctx.report(
        stream_state=job.state,
        stream_message=job.message,
        preview_seen=any(seen),
        preview_size=[job.preview.width(), job.preview.height()] if job.preview is not None else None,
    )
    ctx.done()


def _outside_same(a, b, sel):
    mask = bytes(sel.pixelData(0, 0, W, H))
    return all(a[4 * i : 4 * i + 4] == b[4 * i : 4 * i + 4] for i in range(W * H) if mask[i] == 0)
