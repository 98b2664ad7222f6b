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
from kqt import ARGB32, WRITE_ONLY, QBuffer, QByteArray, QImage, QTimer, image_bytes  # noqa: E402
from krita import Krita, Selection  # noqa: E402


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


def native(doc, data, w, h, mask=None):
    """Krita's own path for pixels already in memory: one node, one setPixelData, one addChildNode; with
    `mask`, the node carries it as a transparency mask (what a paste into a selection would give)."""
    t0 = time.monotonic()
    node = doc.createNode("native", "paintlayer")
    node.setPixelData(QByteArray(data), 0, 0, w, h)
    if mask is not None:
        m = doc.createTransparencyMask("Selection")
        m.setPixelData(QByteArray(mask), 0, 0, w, h)
        node.addChildNode(m, None)
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


class GapTicker:
    """A 10 ms GUI-thread timer that keeps every gap over 30 ms with its end time, so a stall can be placed
    before the result (the worker holding Python's GIL while it decodes and corrects) or in the insert."""

    def __init__(self):
        self.gaps = []
        self._last = time.monotonic()
        self._timer = QTimer()
        self._timer.timeout.connect(self._tick)
        self._timer.start(10)

    def _tick(self):
        now = time.monotonic()
        if now - self._last > 0.03:
            self.gaps.append((self._last, now))
        self._last = now

    def stop(self):
        self._tick()
        self._timer.stop()

    def longest_span(self, start=None, end=None):
        """(start, end) of the longest gap overlapping [start, end], or None."""
        spans = [(a, b) for a, b in self.gaps if (start is None or b > start) and (end is None or a < end)]
        return max(spans, key=lambda span: span[1] - span[0], default=None)

    def longest(self, start=None, end=None):
        """The longest gap overlapping [start, end] (all of them without bounds), in ms; 10 when none."""
        spans = [b - a for a, b in self.gaps if (start is None or b > start) and (end is None or a < end)]
        return round(max(spans, default=0.01) * 1000, 1)


def on_change(job, marks, doc):
    """The result reached the GUI thread (state "inserting"), then the layer is in the document: from there
    Krita's projection is waited for, as the native path does, and that is when the layer is visible. The
    job itself ends a little later, once the ledger has recorded it (off the GUI thread)."""
    if job.state == "inserting":
        marks.setdefault("result", time.monotonic())
    if job.layer is not None and "visible" not in marks:
        doc.waitForDone()
        marks["visible"] = time.monotonic()


def insert_breakdown(job):
    """Where the GUI thread's part of the plugin's insert went, in ms from the result reaching the GUI
    thread: each step's start and length, when the layer was in the document and when the job ended."""
    t0 = job.marks.get("outcome")
    if t0 is None or job.inserter is None:
        return None
    ms = lambda t: round((t - t0) * 1000, 1)  # noqa: E731
    return {
        "steps": [[label, ms(a), round((b - a) * 1000, 1)] for label, a, b in job.inserter.timings],
        # the worker's part after the answer was saved (before the result, so negative starts)
        "worker": [[label, ms(a), round((b - a) * 1000, 1)] for label, a, b in job.worker_timings],
        "added_ms": ms(job.marks["added"]) if "added" in job.marks else None,
        "ended_ms": ms(job.marks["ended"]) if "ended" in job.marks else None,
    }


def read_floor(doc, layer, w, h, selection):
    """Krita's own reads for the region a job starts from, each timed alone on the GUI thread (ms): the
    layer's pixelData (the floor), the Python copy of what it returns, and the selection's pixelData with its
    copy."""
    t0 = time.monotonic()
    data = layer.projectionPixelData(0, 0, w, h)
    t1 = time.monotonic()
    copied = bytes(data)
    t2 = time.monotonic()
    out = {"pixel_data_ms": round((t1 - t0) * 1000, 1), "copy_ms": round((t2 - t1) * 1000, 1)}
    del data, copied
    if selection:
        t0 = time.monotonic()
        mask = bytes(doc.selection().pixelData(0, 0, w, h))
        out["selection_ms"] = round((time.monotonic() - t0) * 1000, 1)
        del mask
    return out


#: with params["profile"]: every C call of the worker's steps over 15 ms, as (ms, "file:line name")
profiled = []


def profile_worker(module, name):
    """Wrap module.name so that, on the worker thread, C calls over 15 ms are recorded: a call PyQt does not
    release Python's GIL for (or a big bytes operation) holds the GUI thread's Python for its whole length."""
    inner = getattr(module, name)

    def wrapper(*args, **kwargs):
        starts = []

        def hook(frame, event, arg):
            if event == "c_call":
                starts.append(time.perf_counter())
            elif event in ("c_return", "c_exception") and starts:
                took = time.perf_counter() - starts.pop()
                if took > 0.015:
                    where = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
                    profiled.append((round(took * 1000), f"{where} {getattr(arg, '__qualname__', arg)}"))

        sys.setprofile(hook)
        try:
            return inner(*args, **kwargs)
        finally:
            sys.setprofile(None)

    setattr(module, name, wrapper)


def scenario(ctx):
    k = Krita.instance()
    k.setBatchmode(True)
    from gptedit_krita import api, worker

    # api.edit's read of the document (read_snapshot) timed apart from the rest (planning, starting the job)
    reads = []
    read_snapshot = api.read_snapshot

    def timed_read(*args, **kwargs):
        t0 = time.monotonic()
        try:
            return read_snapshot(*args, **kwargs)
        finally:
            reads.append(round((time.monotonic() - t0) * 1000, 1))

    api.read_snapshot = timed_read
    if ctx.params.get("profile"):
        profile_worker(worker, "build_request")
        profile_worker(worker, "kept_region")
        profile_worker(worker.seam_apply, "correct")

    rows = []
    for size in ctx.params["sizes"]:
        w, h = (size, size) if isinstance(size, int) else size
        doc = yield from kutil.new_doc(ctx, w, h, f"bench-{w}x{h}")
        layer = kutil.add_layer(doc, "picture", gradient(w, h), 0, 0, w, h)
        yield from kutil.activate(ctx, doc, layer)
        yield 1.5  # let the view's own start-up work finish before measuring
        for mode in ctx.params.get("modes", ("plugin", "baseline", "native", "selection", "native+mask")):
            if mode == "selection":
                # the same edit on a selection of all but a 1/16 border: the layer gets a transparency
                # mask and the answer the seam correction (the selection stays for native+mask)
                sel = Selection()
                sel.select(w // 16, h // 16, w - w // 8, h - h // 8, 255)
                doc.setSelection(sel)
                yield 0.5
            floor = None
            if mode in ("plugin", "selection"):
                # before the job's timers start, so that these reads do not count as its stalls
                floor = read_floor(doc, layer, w, h, mode == "selection")
                yield 0.3
            marks = {}
            ticker = ctx.ticker(10)
            gaps = GapTicker()
            t0 = time.monotonic()
            start = None
            if mode in ("plugin", "selection"):
                yield 0.05  # let the ticker tick once before the GUI thread is taken
                t0 = time.monotonic()
                job = api.edit("[identity] bench", document=doc, layer=layer)
                edit_ms = round((time.monotonic() - t0) * 1000, 1)
                job.changed.connect(lambda job=job, marks=marks, doc=doc: on_change(job, marks, doc))
                yield (lambda job=job: job.done, 300)
                ok = job.state == "inserted" and "visible" in marks
                breakdown = insert_breakdown(job)
                # the job's start: the GUI thread's part (api.edit: read the layer, plan, start the worker)
                # beside Krita's own reads alone, and the longest stall while the worker encodes the upload
                # (before it is sent; the sandbox answers LATENCY_S later)
                sent = next((b for label, _a, b in job.worker_timings if label == "encode"), t0 + 1.0)
                # gaps that began after api.edit returned: the worker's encode holding Python's GIL
                after = t0 + edit_ms / 1000
                worst = max((b - a for a, b in gaps.gaps if after <= a < sent), default=0.01)
                start = {
                    **floor,
                    "edit_ms": edit_ms,
                    "read_ms": reads.pop() if reads else None,
                    "encode_gap_ms": round(worst * 1000, 1),
                }
                if profiled:
                    start["slow_calls"] = sorted(profiled, reverse=True)[:12]
                    profiled.clear()
            elif mode.startswith("native"):
                pixels = bytes(layer.pixelData(0, 0, w, h))  # in memory before, as a paste's pixels are
                mask = bytes(doc.selection().pixelData(0, 0, w, h)) if mode == "native+mask" else None
                yield 0.05
                t0 = time.monotonic()
                marks["result"], marks["visible"] = native(doc, pixels, w, h, mask)
                yield 0.05
                ok = True
                breakdown = None
            else:
                yield 0.05  # let the ticker tick once before the GUI thread is taken
                marks["result"], marks["visible"] = baseline(doc, layer, w, h)
                yield 0.05
                ok = True
                breakdown = None
            gui = ticker.stop()
            gaps.stop()
            marks.setdefault("visible", time.monotonic())  # a failed job: its row says ok=False
            for node in doc.rootNode().childNodes():
                if node.name() != "picture" and node.type() == "paintlayer" and node.name() != "Background":
                    node.remove()
            rows.append(
                {
                    "size": f"{w}x{h}",
                    "mode": mode,
                    "ok": ok,
                    "max_gap_ms": gui["max_gap_ms"],
                    # the longest stall from the result reaching the GUI thread until 50 ms after the layer
                    # is visible (Krita's own reaction to a new layer, the layer docker and the canvas,
                    # comes right after it, in both paths): what Krita's own path is compared with; and the
                    # longest one before the result
                    "insert_gap_ms": gaps.longest(marks.get("result", t0), marks["visible"] + 0.05),
                    "before_gap_ms": gaps.longest(None, marks.get("result", t0)),
                    # where that one was, in ms from the result (negative: before it)
                    "before_gap_at": [
                        round((t - marks.get("result", t0)) * 1000)
                        for t in gaps.longest_span(None, marks.get("result", t0)) or ()
                    ],
                    "result_to_visible_ms": round(
                        (marks["visible"] - marks.get("result", marks["visible"])) * 1000, 1
                    ),
                    "total_s": round(marks["visible"] - t0, 2),
                    "breakdown": breakdown,
                    "start": start,
                }
            )
            ctx.report(rows=rows)
            yield 0.5
    ctx.done(rows=rows)
