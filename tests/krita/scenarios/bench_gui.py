"""Benchmark inside real Krita (driven by tests/bench/krita_bench.py): a full job through the plugin
(worker thread, striped insert) beside a baseline doing the same work on the GUI thread, and beside Krita's
own way of putting the same pixels into the document as a new layer (what a paste or a plain script does:
create the node, write the pixels, add it), at each size. Measures the longest GUI-timer gap and the time
from the pixels (the result) reaching the GUI thread to the layer being in the document with its
projection updated."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

import kutil  # noqa: E402
from kqt import ARGB32, WRITE_ONLY, QBuffer, QByteArray, QImage, image_bytes  # noqa: E402
from krita import Krita  # noqa: E402


def run(ctx):
    kutil.drive(ctx, scenario)


def gradient(w, h):
    row = bytearray(4 * w)
    row[0::4] = bytes(x * 255 // w for x in range(w))
    row[2::4] = bytes((x * 7) % 256 for x in range(w))
    row[3::4] = b"\xff" * w
    rows = []
    for y in range(h):
        row[1::4] = bytes([y * 255 // h]) * w
        rows.append(bytes(row))
    return b"".join(rows)


def native(doc, data, w, h):
    """Krita's own path for pixels already in memory: one node, one setPixelData, one addChildNode."""
    t0 = time.monotonic()
    node = doc.createNode("native", "paintlayer")
    node.setPixelData(QByteArray(data), 0, 0, w, h)
    doc.rootNode().addChildNode(node, None)
    doc.waitForDone()
    return t0, time.monotonic()


def baseline(doc, layer, w, h):
    """What a naive plugin does: everything on the GUI thread, the network wait included."""
    from gptedit import engine
    from gptedit.models import EditRequest, ImageInput
    from gptedit_krita.api import resolve_settings

    settings = resolve_settings({})
    img = QImage(bytes(layer.pixelData(0, 0, w, h)), w, h, 4 * w, ARGB32).copy()
    scale = min(1.0, settings.max_send_side / max(w, h))
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    if (sw, sh) != (w, h):
        img = img.scaled(sw, sh)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(WRITE_ONLY)
    img.save(buf, "PNG")
    req = EditRequest("[identity] baseline", [ImageInput(bytes(data), "image/png", sw, sh)], settings.model)
    rec = engine.run_edit(settings, req, origin="krita-bench")
    t_result = time.monotonic()
    out = QImage(rec.results[0]).convertToFormat(ARGB32).scaled(w, h)
    node = doc.createNode("baseline", "paintlayer")
    node.setPixelData(QByteArray(image_bytes(out)), 0, 0, w, h)
    doc.rootNode().addChildNode(node, None)
    doc.waitForDone()
    return t_result, time.monotonic()


def scenario(ctx):
    k = Krita.instance()
    k.setBatchmode(True)
    from gptedit_krita import api

    rows = []
    for size in ctx.params["sizes"]:
        w, h = (size, size) if isinstance(size, int) else size
        doc = yield from kutil.new_doc(ctx, w, h, f"bench-{w}x{h}")
        layer = kutil.add_layer(doc, "picture", gradient(w, h), 0, 0, w, h)
        yield from kutil.activate(ctx, doc, layer)
        yield 1.5  # let the view's own start-up work finish before measuring
        for mode in ctx.params.get("modes", ("plugin", "baseline", "native")):
            marks = {}
            ticker = ctx.ticker(10)
            t0 = time.monotonic()
            if mode == "plugin":
                job = api.edit("[identity] bench", document=doc, layer=layer)
                job.changed.connect(
                    lambda job=job, marks=marks: (
                        marks.setdefault("result", time.monotonic()) if job.state == "inserting" else None
                    )
                )
                yield (lambda job=job: job.done, 300)
                doc.waitForDone()
                marks["visible"] = time.monotonic()
                ok = job.state == "inserted"
            elif mode == "native":
                pixels = bytes(layer.pixelData(0, 0, w, h))  # in memory before, as a paste's pixels are
                yield 0.05
                t0 = time.monotonic()
                marks["result"], marks["visible"] = native(doc, pixels, w, h)
                yield 0.05
                ok = True
            else:
                yield 0.05  # let the ticker tick once before the GUI thread is taken
                marks["result"], marks["visible"] = baseline(doc, layer, w, h)
                yield 0.05
                ok = True
            gui = ticker.stop()
            for node in doc.rootNode().childNodes():
                if node.name() != "picture" and node.type() == "paintlayer" and node.name() != "Background":
                    node.remove()
            rows.append(
                {
                    "size": f"{w}x{h}",
                    "mode": mode,
                    "ok": ok,
                    "max_gap_ms": gui["max_gap_ms"],
                    "result_to_visible_ms": round(
                        (marks["visible"] - marks.get("result", marks["visible"])) * 1000, 1
                    ),
                    "total_s": round(marks["visible"] - t0, 2),
                }
            )
            ctx.report(rows=rows)
            yield 0.5
    ctx.done(rows=rows)
