"""First half of the crash test: start a slow edit and report its job id and state; the test then kills
Krita while the job is running."""

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

    doc = yield from kutil.new_doc(ctx, 160, 100, "crash")
    art = kutil.add_layer(doc, "art", kutil.pattern(160, 100), 0, 0, 160, 100)
    sel = Selection()
    sel.select(30, 20, 60, 40, 255)
    doc.setSelection(sel)
    yield from kutil.activate(ctx, doc, art)
    job = api.edit("[invert] survive a crash", document=doc, layer=art)
    job.changed.connect(lambda: ctx.report(job_id=job.job_id, state=job.state))
    ctx.report(started=True)
    yield (lambda: False, 120)  # never finishes on its own: Krita is killed from outside
