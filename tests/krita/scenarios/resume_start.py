"""First half of the crash test: start a slow edit and report its job id and state; the test then kills
Krita while the job is running. With params `drift`, the picture is the seam test's textured one and the
answer drifts (the sandbox's `[drift]` tag), so that the second half can check the correction."""

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
    from gptedit_krita import api

    if ctx.params.get("drift"):
        import seam_drift

        w, h, sel, pixels = seam_drift.W, seam_drift.H, seam_drift.SEL, seam_drift.textured
        prompt = "[identity] [drift:1:5] survive a crash"
    else:
        w, h, sel, pixels, prompt = 160, 100, (30, 20, 60, 40), kutil.pattern, "[invert] survive a crash"
    doc = yield from kutil.new_doc(ctx, w, h, "crash")
    art = kutil.add_layer(doc, "art", pixels(w, h), 0, 0, w, h)
    selection = Selection()
    selection.select(*sel, 255)
    doc.setSelection(selection)
    yield from kutil.activate(ctx, doc, art)
    job = api.edit(prompt, document=doc, layer=art)
    job.changed.connect(lambda: ctx.report(job_id=job.job_id, state=job.state))
    ctx.report(started=True)
    yield (lambda: False, 120)  # never finishes on its own: Krita is killed from outside
