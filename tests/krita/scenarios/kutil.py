"""Helpers shared by the scenarios (runs inside Krita; stdlib + PyQt + krita only)."""

import json
import time
import urllib.request

from kqt import ARGB32, QByteArray, QTimer, image_bytes


def pattern(w, h, seed=0):
    """Opaque B,G,R,A test picture with every channel varying."""
    out = bytearray()
    for y in range(h):
        for x in range(w):
            out += bytes(
                ((x * 7 + y * 3 + seed) % 256, (x * 5 + y * 11 + seed) % 256, (x * 13 + y + seed) % 256, 255)
            )
    return bytes(out)


def add_layer(doc, name, data, x, y, w, h, above=None):
    node = doc.createNode(name, "paintlayer")
    node.setPixelData(QByteArray(data), x, y, w, h)
    doc.rootNode().addChildNode(node, above)
    return node


def composite(doc, box=None):
    doc.refreshProjection()
    doc.waitForDone()
    x, y, w, h = box or (0, 0, doc.width(), doc.height())
    return bytes(doc.pixelData(x, y, w, h))


def names(node):
    """Child names without Krita's global "Selection Mask" node."""
    return [c.name() for c in node.childNodes() if c.type() != "selectionmask"]


def max_diff(a, b):
    return max((abs(p - q) for p, q in zip(a, b, strict=True)), default=0)


def sandbox(ctx, what, body=None):
    """POST (or GET without body) to the sandbox's control endpoint from inside Krita."""
    url = ctx.params["sandbox_api"].rstrip("/") + "/_sandbox/" + what
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url,
        data=data,
        method="POST" if body is not None else "GET",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def find_docker(ctx):
    from gptedit_krita.docker import DOCKER_ID, DOCKERS

    for dock in ctx.window.dockers():
        if dock.objectName() == DOCKER_ID:
            return dock
    return DOCKERS[0] if DOCKERS else None


def drive(ctx, scenario):
    """Run a generator scenario from Krita's MAIN event loop. It yields `seconds` to sleep or
    `(condition, timeout)` to wait (resumed with True/False). Waiting in a nested event loop is not enough
    in Krita: a fresh view only picks its current node once control is back in the main loop."""
    gen = scenario(ctx)
    timer = QTimer()
    timer.setInterval(20)
    state = {"until": None, "cond": None}

    def resume(value=None):
        wait = gen.send(value)
        now = time.monotonic()
        if isinstance(wait, (int, float)):
            state.update(cond=None, until=now + wait)
        else:
            cond, timeout = wait
            state.update(cond=cond, until=now + timeout)

    def tick():
        try:
            now = time.monotonic()
            cond = state["cond"]
            if cond is not None and cond():
                resume(True)
            elif now >= state["until"]:
                resume(None if cond is None else bool(cond()))
        except StopIteration:
            timer.stop()
        except BaseException as exc:
            timer.stop()
            import traceback

            ctx.fail("".join(traceback.format_exception(exc)))

    timer.timeout.connect(tick)
    ctx._kutil_timer = timer  # keep it alive
    try:
        resume()
    except StopIteration:
        return
    timer.start()


def activate(ctx, doc, node, timeout=10):
    """Make `node` the active layer (a generator step: `yield from kutil.activate(...)`)."""
    doc.setActiveNode(node)
    ok = yield (lambda: doc.activeNode() is not None and doc.activeNode().name() == node.name(), timeout)
    if not ok:
        raise AssertionError(
            f"could not activate {node.name()}: active is "
            f"{doc.activeNode().name() if doc.activeNode() else None}"
        )


def new_doc(ctx, w, h, name="test", model="RGBA", depth="U8", profile=""):
    """A document in a view that has settled (`doc = yield from kutil.new_doc(...)`): a layer added before
    the fresh view picks its current node leaves the view without one (Krita 5.2/5.3, seen here)."""
    doc = ctx.krita.createDocument(w, h, name, model, depth, profile, 72.0)
    doc.setBatchmode(True)
    ctx.window.addView(doc)
    ctx.krita.setActiveDocument(doc)
    ok = yield (lambda: doc.activeNode() is not None, 10)
    if not ok:
        raise AssertionError("the new view never got a current node")
    return doc


def srgb(doc, box=None):
    """What the user sees, as 8-bit sRGB B,G,R,A, whatever the document's colour space."""
    doc.refreshProjection()
    doc.waitForDone()
    x, y, w, h = box or (0, 0, doc.width(), doc.height())
    return image_bytes(doc.projection(x, y, w, h).convertToFormat(ARGB32))


def diff_inside_outside(before, after, mask, expect, alpha=True):
    """(max diff inside the selection vs expect(before px), max diff outside vs before)."""
    inside = outside = 0
    for i in range(len(mask)):
        b, a = before[4 * i : 4 * i + 4], after[4 * i : 4 * i + 4]
        if not alpha:
            b, a = b[:3], a[:3]
        if mask[i] >= 128:
            inside = max(inside, max_diff(expect(b), a))
        else:
            outside = max(outside, max_diff(b, a))
    return [inside, outside]


def invert(px):
    return bytes([255 - px[0], 255 - px[1], 255 - px[2]]) + px[3:]
