"""Benchmark inside real Krita (driven by tests/bench/krita_bench.py): a full job through the plugin
(worker thread, striped insert) beside a baseline doing the same work on the GUI thread, at each size.
Measures the longest GUI-timer gap during the whole job and the time from the result reaching the GUI
thread to the layer being in the document with its projection updated."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

import kutil  # noqa: E402
from kqt import ARGB32, WRITE_ONLY, QBuffer, QByteArray, QImage, image_bytes  # noqa: E402
from krita import Krita  # noqa: E402


def run(ctx):
    kutil.drive(ctx, scenario)


def gradient(n):
    row = bytearray(4 * n)
    row[0::4] = bytes(x * 255 // n for x in range(n))
    row[2::4] = bytes((x * 7) % 256 for x in range(n))
    row[3::4] = b"\xff" * n
    rows = []
    for y in range(n):
        row[1::4] = bytes([y * 255 // n]) * n
        rows.append(bytes(row))
    return b"".join(rows)


def baseline(doc, layer, n):
    """What a naive plugin does: everything on the GUI thread, the network wait included."""
    from gptedit import engine
    from gptedit.models import EditRequest, ImageInput
    from gptedit_krita.api import resolve_settings

    settings = resolve_settings({})
    img = QImage(bytes(layer.pixelData(0, 0, n, n)), n, n, 4 * n, ARGB32).copy()
    send = min(n, settings.max_send_side)
    if send != n:
        img = img.scaled(send, send)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(WRITE_ONLY)
    img.save(buf, "PNG")
    req = EditRequest("[identity] baseline", [ImageInput(bytes(data), "image/png", send, send)], settings.model)
    rec = engine.run_edit(settings, req, origin="krita-bench")
    t_result = time.monotonic()
    out = QImage(rec.results[0]).convertToFormat(ARGB32).scaled(n, n)
    node = doc.createNode("baseline", "paintlayer")
    node.setPixelData(QByteArray(image_bytes(out)), 0, 0, n, n)
    doc.rootNode().addChildNode(node, None)
    doc.waitForDone()
    return t_result, time.monotonic()


def scenario(ctx):
    k = Krita.instance()
    k.setBatchmode(True)
    from gptedit_krita import api

    rows = []
    for n in ctx.params["sizes"]:
        doc = yield from kutil.new_doc(ctx, n, n, f"bench-{n}")
        layer = kutil.add_layer(doc, "picture", gradient(n), 0, 0, n, n)
        yield from kutil.activate(ctx, doc, layer)
        yield 1.5  # let the view's own start-up work finish before measuring
        for mode in ("plugin", "baseline"):
            marks = {}
            ticker = ctx.ticker(10)
            t0 = time.monotonic()
            if mode == "plugin":
                job = api.edit("[identity] bench", document=doc, layer=layer)
                job.changed.connect(lambda job=job, marks=marks: marks.setdefault("result", time.monotonic())
                                    if job.state == "inserting" else None)
                yield (lambda job=job: job.done, 300)
                doc.waitForDone()
                marks["visible"] = time.monotonic()
                ok = job.state == "inserted"
            else:
                yield 0.05  # let the ticker tick once before the GUI thread is taken
                marks["result"], marks["visible"] = baseline(doc, layer, n)
                yield 0.05
                ok = True
            gui = ticker.stop()
            for node in doc.rootNode().childNodes():
                if node.name() != "picture" and node.type() == "paintlayer" and node.name() != "Background":
                    node.remove()
            rows.append({"size": n, "mode": mode, "ok": ok, "max_gap_ms": gui["max_gap_ms"],
                         "result_to_visible_ms": round((marks["visible"] - marks.get("result", marks["visible"]))
                                                       * 1000, 1),
                         "total_s": round(marks["visible"] - t0, 2)})
            ctx.report(rows=rows)
            yield 0.5
    ctx.done(rows=rows)
