"""Put results into the document as NEW nodes, on the GUI thread, in one undo step, without freezing.

The recipe (docs/hosts.md "Krita: inserting the result", checked in Krita 5.2, 5.3 and 6.0 by tests/krita):
- `setPixelData` creates no undo command, `addChildNode` does: so the node (and its transparency mask,
  and for variations the whole group) is completely built while it is NOT in the layer tree, then added
  with one `addChildNode`. One Ctrl+Z removes all of it.
- Pixels are written at absolute canvas coordinates; `Node.move()` would shift them a second time.
- A big result is written in horizontal stripes over several event-loop turns (a zero-time QTimer), each
  turn doing steps until it has used TURN_BUDGET_S, so a 4096² insert never holds the GUI thread for much
  more than that before the final `addChildNode`, while a 1024² insert is done in one turn (yielding
  between small steps only added latency). The node is not in the tree yet, so nothing half-written is
  ever shown or undoable.
- The new layer is made the active one (`setActiveNode`) after `done` has been told the layer is in the
  document, in the same turn: in Krita 6 it takes 10-200 ms of the GUI thread (the layer docker and the
  tools follow the node). Leaving it to a later turn left Krita 5.3's next new view without a current
  node (tests/krita/test_krita_documents.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from gptedit.geometry import Box

from . import colors
from .qt import QByteArray, QTimer

#: bytes written per setPixelData (~4 MB ≈ 1024×1024 at 8 bit: 3-5 ms in Krita)
STRIPE_BYTES = 4 * 1024 * 1024
#: GUI-thread time one event-loop turn may take before the rest waits for the next turn (a step started
#: within the budget runs to its end: a stripe is a few ms, the final addChildNode is Krita's own)
TURN_BUDGET_S = 0.015
LAYER_PREFIX = "GPT: "


def layer_name(prompt: str, index: int | None = None) -> str:
    text = " ".join(prompt.split())
    name = LAYER_PREFIX + (text[:40] + "…" if len(text) > 40 else text)
    return name if index is None else f"{name} #{index + 1}"


@dataclass
class InsertSpec:
    """Where and what: `images` are sRGB B,G,R,A at `box` size; `mask` is selectedness over `box`."""

    doc: object
    box: Box
    images: list[bytes]
    prompt: str
    mask: bytes | None = None
    #: insert above this node (its parent becomes the parent); None = top of the root
    above: object | None = None
    #: `images` already converted on the worker to the pixel format of `native_color`; used only while
    #: the document is still in that colour space (it may have been converted during the job)
    native: list[bytes] | None = None
    native_color: object = None


def _write_stripes(node, data: bytes, box: Box, bytes_per_pixel: int) -> list[Callable[[], None]]:
    """The writes for one node as small steps (each a closure), top to bottom."""
    row_bytes = box.width * bytes_per_pixel
    rows = max(1, STRIPE_BYTES // max(1, row_bytes))
    steps = []
    for top in range(0, box.height, rows):
        h = min(rows, box.height - top)

        def step(top=top, h=h) -> None:
            # sliced here, not up front: copying all stripes at once was one long GUI-thread pause
            chunk = data[top * row_bytes : (top + h) * row_bytes]
            node.setPixelData(QByteArray(chunk), box.x, box.y + top, box.width, h)

        steps.append(step)
    return steps


class Inserter:
    """Builds the result nodes step by step and adds them in one undoable step; calls `done(node, error)`.

    Use `run_now()` for a synchronous insert (the scriptable API, tests) or `start()` to spread the work
    over event-loop turns."""

    def __init__(self, spec: InsertSpec, done: Callable[[object, str], None] | None = None):
        self.spec = spec
        self.done = done or (lambda node, err: None)
        self.node = None
        self._steps: list[tuple[str, Callable[[], None]]] = []
        self._timer: QTimer | None = None
        #: (what, start, end) of every piece of GUI-thread work, in time.monotonic() seconds; the benchmark
        #: prints them (tests/bench/krita_bench.py)
        self.timings: list[tuple[str, float, float]] = []
        t0 = time.monotonic()
        self._prepare()
        self.timings.append(("prepare", t0, time.monotonic()))

    def _prepare(self) -> None:
        s = self.spec
        doc, box = s.doc, s.box
        info = colors.color_info(doc)
        bpp = info.pixel_bytes
        steps: list[tuple[str, Callable[[], None]]] = []
        if len(s.images) == 1:
            top = doc.createNode(layer_name(s.prompt), "paintlayer")
            layers = [top]
        else:
            top = doc.createGroupLayer(layer_name(s.prompt) + f" ({len(s.images)} variations)")
            layers = [doc.createNode(layer_name(s.prompt, i), "paintlayer") for i in range(len(s.images))]
        ready = s.native is not None and s.native_color == info
        for layer, img in zip(layers, s.native if ready else s.images, strict=True):
            # unless the worker converted them already, Krita converts the colours (a scratch document,
            # GUI-thread work): its own step, and the converted pixels are then written in stripes
            def convert(layer=layer, img=img) -> None:
                native = colors.srgb8_to_document(doc, img, box.width, box.height)
                self._steps[0:0] = [("stripe", st) for st in _write_stripes(layer, native, box, bpp)]

            if info.native_srgb8 or ready:
                steps += [("stripe", st) for st in _write_stripes(layer, img, box, bpp)]
            else:
                steps.append(("convert", convert))
        if s.mask is not None:
            # The selection as a transparency mask on each result layer. A group that is not yet in the
            # tree counts as the root for Krita, and the root refuses transparency masks
            # (KisGroupLayer::allowAsChild; "SAFE ASSERT allowAsChild" in 5.2), so a group cannot carry
            # the mask and still be inserted in one undoable step; each variation carries its own.
            # Its pixels are written in stripes too (a 4096² mask is 16 MB), before it joins its layer.
            masks = [doc.createTransparencyMask("Selection") for _ in layers]
            for mask in masks:
                steps += [("mask stripe", st) for st in _write_stripes(mask, s.mask, box, 1)]

            def add_masks() -> None:
                for layer, mask in zip(layers, masks, strict=True):
                    layer.addChildNode(mask, None)

            steps.append(("masks", add_masks))
        if len(layers) > 1:

            def fill_group() -> None:
                # children go in bottom-up; only the first variation stays visible (variations.py switches)
                for i, layer in enumerate(layers):
                    layer.setVisible(i == 0)
                    top.addChildNode(layer, None)

            steps.append(("group", fill_group))
        steps.append(("attach", self._attach))
        self.node = top
        self._steps = steps

    def _attach(self) -> None:
        s = self.spec
        above = s.above
        parent = above.parentNode() if above is not None else None
        if parent is None:
            parent, above = s.doc.rootNode(), None
        # the ONE undoable step: adds the node with its pixels, masks and children
        parent.addChildNode(self.node, above)

    def _activate(self) -> None:
        t0 = time.monotonic()
        try:
            self.spec.doc.setActiveNode(self.node)
        except Exception:  # noqa: BLE001 - a cosmetic nicety (the node may be gone); the insert succeeded
            pass
        self.timings.append(("activate", t0, time.monotonic()))

    def _timed(self, label: str, step: Callable[[], None]) -> None:
        t0 = time.monotonic()
        step()
        self.timings.append((label, t0, time.monotonic()))

    # --- driving -------------------------------------------------------------------------------------
    def run_now(self):
        try:
            while self._steps:
                self._timed(*self._steps.pop(0))
        except Exception as exc:  # noqa: BLE001 - reported as a message
            self._steps = []
            self.done(None, f"Inserting the result failed: {exc}")
            return None
        self.done(self.node, "")
        self._activate()
        return self.node

    def start(self) -> None:
        self._timer = QTimer()
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._next)
        self._timer.start()

    def _next(self) -> None:
        turn = time.monotonic()
        try:
            while self._steps:
                self._timed(*self._steps.pop(0))
                if time.monotonic() - turn >= TURN_BUDGET_S:
                    break
        except Exception as exc:  # noqa: BLE001
            self._timer.stop()
            self._steps = []
            self.done(None, f"Inserting the result failed: {exc}")
            return
        if not self._steps:
            self._timer.stop()
            self.done(self.node, "")
            self._activate()
