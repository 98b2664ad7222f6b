"""The plugin's pure pieces, without Krita: PNG and mask encoding, result decoding and scaling, row
packing, striped writes, layer names. Uses whichever PyQt is installed (PyQt6 in the dev venv)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("PyQt6.QtGui", reason="pip install PyQt6 (the `test` extra)")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "krita_plugin"))

from gptedit.geometry import Box  # noqa: E402
from gptedit.pngio import decode_png, openai_mask_png  # noqa: E402
from gptedit_krita import canvas_insert, qt, worker  # noqa: E402


def bgra(w, h):
    return bytes(
        v for y in range(h) for x in range(w) for v in (x * 9 % 256, y * 17 % 256, (x + y) % 256, 255)
    )


def decode(png: bytes):
    img = qt.QImage.fromData(png).convertToFormat(qt.FORMAT_ARGB32)
    return img.width(), img.height(), qt.image_bytes(img)


def test_png_round_trip_keeps_every_pixel():
    data = bgra(13, 7)
    image = worker.encode_image(data, 13, 7, 13, 7, "image.png")
    assert image.data.startswith(b"\x89PNG") and (image.width, image.height) == (13, 7)
    assert decode(image.data) == (13, 7, data)


def test_downscaled_send_has_the_send_size():
    image = worker.encode_image(bgra(40, 20), 40, 20, 20, 10, "image.png")
    assert decode(image.data)[:2] == (20, 10) and (image.width, image.height) == (20, 10)


def test_mask_is_transparent_wherever_anything_is_selected():
    sel = bytes([0, 1, 127, 128, 255, 0])
    w, h, px = decode(worker.encode_mask(sel, 3, 2, 3, 2).data)
    assert (w, h) == (3, 2)
    assert list(px[3::4]) == [255, 0, 0, 0, 0, 255]  # a feathered edge shows the answer, so it is editable


def test_mask_follows_the_same_rule_as_gimps():
    sel = bytes(range(256))  # every selectedness once
    _, _, px = decode(worker.encode_mask(sel, 16, 16, 16, 16).data)
    gimps = decode_png(openai_mask_png(16, 16, sel)).pixels  # what GIMP's request builder sends
    assert px[3::4] == gimps[3::4]


def test_decode_result_scales_to_the_placement():
    png = worker.encode_image(bgra(16, 8), 16, 8, 16, 8, "r.png").data
    assert worker.decode_result(png, 16, 8) == bgra(16, 8)
    scaled = worker.decode_result(png, 32, 16)
    assert len(scaled) == 32 * 16 * 4


def test_decode_result_refuses_garbage():
    from gptedit.errors import BadInput

    with pytest.raises(BadInput):
        worker.decode_result(b"not a picture", 4, 4)


def test_image_bytes_drops_row_padding():
    img = qt.QImage(5, 3, qt.FORMAT_GRAYSCALE8)
    img.fill(7)
    assert img.bytesPerLine() == 8  # Qt pads rows to 4 bytes
    assert qt.image_bytes(img) == bytes([7]) * 15


class _RecordingNode:
    def __init__(self):
        self.calls = []

    def setPixelData(self, data, x, y, w, h):
        self.calls.append((bytes(data), x, y, w, h))


def test_striped_writes_cover_each_row_once(monkeypatch):
    monkeypatch.setattr(canvas_insert, "STRIPE_BYTES", 4 * 10 * 3)  # three 10-pixel rows per stripe
    box = Box(5, 7, 10, 8)
    data = bgra(10, 8)
    node = _RecordingNode()
    for step in canvas_insert._write_stripes(node, data, box, 4):
        step()
    assert [c[2] for c in node.calls] == [7, 10, 13]
    assert [c[4] for c in node.calls] == [3, 3, 2]
    assert all(c[1] == 5 and c[3] == 10 for c in node.calls)
    assert b"".join(c[0] for c in node.calls) == data


def test_layer_names_are_short_and_numbered():
    assert canvas_insert.layer_name("make  the\nsky red") == "GPT: make the sky red"
    long = canvas_insert.layer_name("x" * 100)
    assert long.startswith("GPT: ") and long.endswith("…") and len(long) == 5 + 41
    assert canvas_insert.layer_name("sky", 2) == "GPT: sky #3"


def test_the_kept_region_is_at_most_kept_side_long_and_keeps_its_aspect():
    from types import SimpleNamespace

    def snapshot(w, h):
        return SimpleNamespace(plan=SimpleNamespace(context=Box(5, 7, w, h)), pixels=bgra(w, h))

    small = snapshot(64, 32)
    assert worker.kept_region(small).pixels == small.pixels  # small regions are kept as they are
    w, h = worker.KEPT_SIDE + 400, 24
    region = worker.kept_region(snapshot(w, h))
    assert (region.width, region.height) == (worker.KEPT_SIDE, round(h * worker.KEPT_SIDE / w))
    assert region.layout == "BGRA" and len(region.pixels) == 4 * region.width * region.height
    assert set(region.pixels[3::4]) == {255}


def test_a_job_keeps_its_region_only_with_a_selection(monkeypatch):
    """The region is kept for correcting answers inserted later, which needs a selection; without one it
    is not made at all (the engine would not keep it, and scaling it only delays the request)."""
    from types import SimpleNamespace

    from gptedit.errors import GptEditError
    from gptedit.ledger import SentRegion

    seen: list = []

    def run_edit(*_args, **kwargs):
        seen.append(kwargs["sent"])
        raise GptEditError("stopped before anything is sent")

    monkeypatch.setattr(worker, "build_request", lambda *a: None)
    monkeypatch.setattr(worker.engine, "run_edit", run_edit)
    for mask in (None, bytes(12 * 8)):
        snap = SimpleNamespace(
            plan=SimpleNamespace(context=Box(0, 0, 12, 8)), pixels=bgra(12, 8), mask=mask, job_context=dict
        )
        out = worker.run_job(snap, None, "x", listener=None, cancel=None)
        assert out.error == "stopped before anything is sent"
    assert seen[0] is None
    assert seen[1] == SentRegion(12, 8, bgra(12, 8), "BGRA")


def _drifted_job(tmp_path, keep: str):
    """A finished job in the ledger whose answer drifted (the sandbox's drift), with its selection and,
    by `keep`: the region at the region's size ("box"), at half of it as GIMP keeps it ("sent"), or none."""
    from gptedit.job_context import JobContext
    from gptedit.ledger import JobRecord, Ledger, SentRegion
    from gptedit.models import JobState
    from gptedit.sandbox import drift, pictures

    w, h = 240, 160
    picture = pictures.make("photo", w, h, 3).convert("RGBA")
    answer = drift.apply(picture, drift.draw(drift.DriftSpec(1.0, 2)))
    selection = pictures.ellipse_mask(w, h)
    ledger = Ledger()
    record = ledger.create(
        JobRecord(
            id="",
            origin="krita",
            provider="fal",
            protocol="fal",
            model="gpt-image-2",
            base_url="http://127.0.0.1:1",
            prompt="x",
            request={"mask": True, "images": [{"width": w, "height": h}]},
            context=JobContext(context_box=Box(10, 20, w, h)),
        )
    )
    path = tmp_path / "answer.png"
    answer.save(path)
    ledger.save_selection(record.id, selection.tobytes())
    if keep == "box":
        ledger.save_sent(record.id, SentRegion(w, h, picture.tobytes(), "RGBA"))
    elif keep == "sent":
        half = picture.resize((w // 2, h // 2))
        ledger.save_sent(record.id, SentRegion(w // 2, h // 2, half.tobytes(), "RGBA"))
    record = ledger.update(record.id, state=JobState.FETCHED, results=[str(path)])
    return ledger, record


@pytest.mark.parametrize("keep", ["box", "sent"])
def test_a_result_inserted_later_is_measured_against_the_region_its_job_kept(tmp_path, keep):
    from gptedit_krita import history

    ledger, record = _drifted_job(tmp_path, keep)
    box = history.record_box(record)
    images, (corr,) = history._measure_later(ledger, record, box)
    assert len(images[0]) == 4 * box.area and corr.mask is not None and corr.report.feather_px >= 0
    assert corr.report.aligned and corr.report.colour_matched and corr.moves, corr.report
    assert corr.report.residual_after < corr.report.residual_before / 2, corr.report


def test_a_result_whose_job_kept_no_region_goes_in_uncorrected_and_says_why(tmp_path):
    from gptedit_krita import history

    ledger, record = _drifted_job(tmp_path, "none")
    box = history.record_box(record)
    images, (corr,) = history._measure_later(ledger, record, box)
    assert len(images[0]) == 4 * box.area and not corr.moves and corr.tables is None
    assert corr.mask == ledger.load_selection(record, box)
    assert "was not kept" in corr.report.summary()


class _FakeNode(_RecordingNode):
    """A node outside any real Krita: records pixel writes and the children added to it."""

    def __init__(self, log, name):
        super().__init__()
        self.log, self.name = log, name

    def setPixelData(self, data, x, y, w, h):
        self.log.append(("write", self.name, y, h))

    def addChildNode(self, child, above):
        self.log.append(("add", child.name, self.name))

    def parentNode(self):
        return None


class _FakeDoc:
    def __init__(self):
        self.log = []
        self.root = _FakeNode(self.log, "root")

    def colorModel(self):
        return "RGBA"

    def colorDepth(self):
        return "U8"

    def colorProfile(self):
        return ""

    def createNode(self, name, kind):
        return _FakeNode(self.log, "layer")

    def createTransparencyMask(self, name):
        return _FakeNode(self.log, "mask")

    def rootNode(self):
        return self.root

    def setActiveNode(self, node):
        self.log.append(("active", node.name))


def _insert_in_turns(monkeypatch, budget_s):
    """A 10×8 result with a selection, written 3 rows per stripe; returns (event-loop turns, call log)."""
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    app = qt.QApplication.instance() or qt.QApplication([])
    monkeypatch.setattr(canvas_insert, "STRIPE_BYTES", 4 * 10 * 3)
    monkeypatch.setattr(canvas_insert, "TURN_BUDGET_S", budget_s)
    doc, box = _FakeDoc(), Box(0, 0, 10, 8)
    spec = canvas_insert.InsertSpec(doc, box, [bgra(10, 8)], "sky", mask=b"\xff" * 80)
    ended = []
    inserter = canvas_insert.Inserter(spec, lambda node, err: ended.append((node, err)))
    turns = 0
    real_next = inserter._next

    def counted():
        nonlocal turns
        turns += 1
        real_next()

    monkeypatch.setattr(inserter, "_next", counted)
    inserter.start()
    for _ in range(100):
        if ended:
            break
        app.processEvents()
    assert ended == [(inserter.node, "")]
    return turns, doc.log


def test_insert_steps_share_a_turn_up_to_the_budget(monkeypatch):
    turns, log = _insert_in_turns(monkeypatch, 10.0)
    # every step in one turn; the mask joins the layer before the layer joins the document, once, and the
    # layer is made active only once it is in the document
    assert turns == 1
    assert log == [
        ("write", "layer", 0, 3),
        ("write", "layer", 3, 3),
        ("write", "layer", 6, 2),
        ("write", "mask", 0, 8),
        ("add", "mask", "layer"),
        ("add", "layer", "root"),
        ("active", "layer"),
    ]
    turns_each, log_each = _insert_in_turns(monkeypatch, 0.0)
    assert log_each == log and turns_each == 6  # with no budget: one step per turn (3 + 1 stripes, mask, add)


def test_results_for_16_bit_and_float_srgb_documents_are_converted_without_krita():
    import struct

    from gptedit_krita import colors

    px = bytes([0, 128, 255, 64])  # B, G, R, A
    srgb16 = colors.srgb8_to_native(colors.ColorInfo("RGBA", "U16", "sRGB-elle-V2-srgbtrc.icc"), px)
    assert struct.unpack("<4H", srgb16) == (0, 128 * 257, 65535, 64 * 257)  # Krita's 16 bit is B,G,R,A too
    linear = colors.srgb8_to_native(colors.ColorInfo("RGBA", "F32", "sRGB-elle-V2-g10.icc"), px)
    r, g, b, a = struct.unpack("<4f", linear)  # Krita's floats are R,G,B,A
    assert (r, b) == (1.0, 0.0) and abs(g - 0.2158605) < 1e-6 and abs(a - 64 / 255) < 1e-7
    half = colors.srgb8_to_native(colors.ColorInfo("RGBA", "F16", "sRGB-elle-V2-g10.icc"), px)
    assert abs(struct.unpack("<4e", half)[1] - 0.2158605) < 1e-3
    # anything else is left to Krita's colour management
    for color in (
        colors.ColorInfo("RGBA", "U8", "sRGB-elle-V2-g10.icc"),
        colors.ColorInfo("RGBA", "U16", "WideRGB-elle-V2-g22.icc"),
        colors.ColorInfo("RGBA", "F32", ""),
        colors.ColorInfo("CMYKA", "U16", "Chemical proof"),
        colors.ColorInfo("GRAYA", "U16", "Gray-D50-elle-V2-srgbtrc.icc"),
    ):
        assert colors.srgb8_to_native(color, px) is None, color
