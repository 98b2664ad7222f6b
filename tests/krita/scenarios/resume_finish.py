"""Second half of the crash test: Krita starts again on the same profile and data folder; the unfinished
job resumes by itself, the user is told, and the result can be inserted from History. With params `drift`,
the result goes into a new document holding the same textured picture, and what the composite kept of it
is measured (outside the selection, at its edge) against the answer laid in uncorrected."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import kutil  # noqa: E402
from krita import Krita  # noqa: E402


def run(ctx):
    kutil.drive(ctx, scenario)


def scenario(ctx):
    k = Krita.instance()
    k.setBatchmode(True)
    from gptedit_krita import history

    docker = kutil.find_docker(ctx)
    job_id = ctx.params["job_id"]
    # What was said, in order: a job found finished at once (Krita 6's window shows up seconds after the
    # plugins load) may be reported done before this scenario starts, so `last` alone would miss "Resuming".
    yield (lambda: any("Resuming" in n for n in history.notices().said), 20)
    said = history.notices().said
    ctx.report(
        first_notice=next(n for n in said if "Resuming" in n),
        docker_message=docker.message(),
        notices=list(said),
    )
    yield (lambda: history.notices().last.startswith("Resumed job"), 60)
    ctx.report(final_notice=history.notices().last)
    docker.history.refresh()
    yield (lambda: any(r.id == job_id for r in docker.history.records), 10)
    drift = ctx.params.get("drift")
    if drift:
        import seam_drift

        doc = yield from kutil.new_doc(ctx, seam_drift.W, seam_drift.H, "after-crash")
        picture = seam_drift.textured(seam_drift.W, seam_drift.H)
        base = kutil.add_layer(doc, "base", picture, 0, 0, seam_drift.W, seam_drift.H)
        yield from kutil.activate(ctx, doc, base)
        before = kutil.composite(doc)
    else:
        doc = yield from kutil.new_doc(ctx, 160, 100, "after-crash")
    got = {}
    docker.history.insert_selected(job_id, on_done=lambda node, err: got.update(node=node, err=err))
    yield (lambda: "err" in got, 60)
    node = got.get("node")
    b = node.bounds() if node else None
    ctx.report(
        insert_error=got.get("err"),
        layers=kutil.names(doc.rootNode()),
        bounds=[b.x(), b.y(), b.width(), b.height()] if b else None,
        masks=[c.type() for c in node.childNodes()] if node else None,
    )
    after = kutil.composite(doc) if drift else b""
    yield 1.0  # the ledger update runs on a worker thread
    if drift:
        ctx.report(**seam_figures(job_id, before, after), status=docker.history.status.text())
    ctx.done()


def seam_figures(job_id, before, after):
    """The composite against the original picture: outside the selection, in a band inside its edge as
    wide as the soft edge, and what the answer laid in uncorrected would give in that band."""
    from types import SimpleNamespace

    import seam_drift
    from gptedit.ledger import Ledger
    from gptedit_krita.history import record_box

    record = Ledger().get(job_id)
    box = record_box(record)
    seam = (record.seam or {}).get("variations", [{}])[0]
    w, h = seam_drift.W, seam_drift.H
    sx, sy, sw, sh = seam_drift.SEL
    inside = [(x, y) for y in range(sy, sy + sh) for x in range(sx, sx + sw)]
    outside = [i for i in range(w * h) if not (sx <= i % w < sx + sw and sy <= i // w < sy + sh)]
    band = [
        y * w + x for x, y in inside if seam_drift.edge_distance(x, y) < max(2, seam.get("feather_px") or 0)
    ]
    raw = seam_drift.raw_composite(before, SimpleNamespace(record=record), box)
    return dict(
        seam=seam,
        outside_max=max(kutil.max_diff(before[4 * i : 4 * i + 3], after[4 * i : 4 * i + 3]) for i in outside),
        band_after=seam_drift.mean_diff(before, after, band),
        band_raw=seam_drift.mean_diff(before, raw, band),
    )
