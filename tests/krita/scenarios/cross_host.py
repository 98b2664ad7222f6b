"""The ledger shared with GIMP: `make` edits a selection (the job GIMP then inserts from Recent results);
`insert` puts a job GIMP made into a new document from History ▸ Insert again, and reports where the layer
went and what its transparency mask holds."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import kutil  # noqa: E402
from krita import Krita, Selection  # noqa: E402


def run(ctx):
    kutil.drive(ctx, scenario)


def scenario(ctx):
    k = Krita.instance()
    k.setBatchmode(True)
    docker = kutil.find_docker(ctx)
    k.action("gptedit_edit").trigger()
    w, h = ctx.params["canvas"]
    doc = yield from kutil.new_doc(ctx, w, h, "cross")
    art = kutil.add_layer(doc, "art", kutil.pattern(w, h), 0, 0, w, h)
    yield from kutil.activate(ctx, doc, art)
    if ctx.params["mode"] == "make":
        sel = Selection()
        sel.select(*ctx.params["selection"], 255)
        doc.setSelection(sel)
        docker.set_prompt("[invert] from Krita")
        job = docker.start_edit()
        if job is None:
            ctx.fail(f"edit refused: {docker.message()}")
            return
        yield (lambda: job.done, 60)
        box = job.snapshot.plan.context
        ctx.report(
            state=job.state,
            message=job.message,
            job_id=job.job_id,
            context_box=[box.x, box.y, box.width, box.height],
        )
        ctx.done()
        return
    # insert a job made elsewhere (GIMP), into a document with no selection, above the active layer
    got = {}
    docker.history.insert_selected(
        ctx.params["job_id"], on_done=lambda node, err: got.update(node=node, err=err)
    )
    yield (lambda: "err" in got, 30)
    node = got.get("node")
    if node is None:
        ctx.fail(f"insert again: {got.get('err')}")
        return
    bounds = node.bounds()
    masks = [c for c in node.childNodes() if c.type() == "transparencymask"]
    x, y, bw, bh = ctx.params["context_box"]
    ctx.report(
        error=got.get("err"),
        layers=kutil.names(doc.rootNode()),
        name=node.name(),
        bounds=[bounds.x(), bounds.y(), bounds.width(), bounds.height()],
        masks=[m.name() for m in masks],
    )
    if masks:
        mask = bytes(masks[0].pixelData(x, y, bw, bh))
        with open(os.path.join(ctx.params["artifacts"], "mask.y"), "wb") as fh:
            fh.write(mask)
    ctx.done()
