"""Second half of the crash test: Krita starts again on the same profile and data folder; the unfinished
job resumes by itself, the user is told, and the result can be inserted from History."""

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
    doc = yield from kutil.new_doc(ctx, 160, 100, "after-crash")
    got = {}
    docker.history.insert_selected(job_id, on_done=lambda node, err: got.update(node=node, err=err))
    yield (lambda: "err" in got, 20)
    node = got.get("node")
    b = node.bounds() if node else None
    ctx.report(
        insert_error=got.get("err"),
        layers=kutil.names(doc.rootNode()),
        bounds=[b.x(), b.y(), b.width(), b.height()] if b else None,
        masks=[c.type() for c in node.childNodes()] if node else None,
    )
    yield 1.0  # the ledger update runs on a worker thread
    ctx.done()
