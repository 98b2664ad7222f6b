"""One job-context record for every front end, stored by the ledger with the job's selection; records and
selection files written before it existed are still read."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from gptedit.geometry import Box
from gptedit.job_context import CLI, GIMP, KRITA, ColorSpace, JobContext
from gptedit.ledger import SELECTION_FILE, SENT_FILE, JobRecord, Ledger, SentRegion
from gptedit.models import Size
from gptedit.paths import results_dir
from gptedit.pngio import decode_png


def _job(context: JobContext | None = None) -> JobRecord:
    return JobRecord(
        id="",
        origin="test",
        provider="eachlabs",
        protocol="eachlabs",
        model="gpt-image-v2-edit",
        base_url="http://127.0.0.1:1/eachlabs",
        prompt="make it blue",
        context=context or JobContext(),
    )


def full() -> JobContext:
    return JobContext(
        host=GIMP,
        document="/pics/a.xcf",
        document_name="a.xcf",
        document_id=3,
        layer="art",
        layer_id="7",
        session="4242",
        canvas=Size(120, 80),
        context_box=Box(10, 5, 60, 40),
        selection_box=Box(20, 10, 30, 20),
        color=ColorSpace("RGBA", "U8", "sRGB built-in"),
        source="layer",
        new_layer_name="GPT: blue",
        input="",
        output="",
    )


def test_a_context_survives_the_ledger_as_a_typed_record():
    ledger = Ledger()
    job = ledger.create(_job(full()))
    got = ledger.get(job.id).context
    assert isinstance(got, JobContext) and got == full()
    assert (
        got.in_session(GIMP, "4242") and not got.in_session(GIMP, "1") and not got.in_session(KRITA, "4242")
    )


def test_a_job_without_context_reads_back_empty():
    ledger = Ledger()
    job = ledger.create(_job())
    got = ledger.get(job.id).context
    assert got.context_box is None and got.selection_box is None and got.host == ""


# The exact key names each front end wrote before the shared record (copied from real ledgers).
OLD_KRITA = {
    "document": "/home/u/art.kra",
    "document_name": "art.kra",
    "canvas": [160, 120],
    "context_box": [40, 20, 120, 90],
    "selection_box": [60, 30, 80, 60],
    "layer": "Paint Layer 1",
    "layer_uid": "{5b0c1f4e-0000-4000-8000-000000000001}",
    "source": "layer",
    "color": ["RGBA", "U8", "sRGB-elle-V2-srgbtrc.icc"],
    "prompt": "make it blue",
}
OLD_GIMP = {
    "host": "gimp",
    "image_id": 1,
    "image_name": "Untitled",
    "layer_id": 2,
    "layer_name": "Background",
    "canvas": [120, 80],
    "context": [8, 4, 72, 48],
    "selection": [20, 10, 40, 30],
    "gimp_pid": 777,
    "layer_name_new": "GPT: make it blue",
    "mask_file": "/x/gimp-masks/ab.mask",
    "mask_size": [72, 48],
}
OLD_CLI = {"input": "/tmp/in.png", "output": "/tmp/out.png"}


def test_old_krita_records_are_still_read():
    ctx = JobContext.from_json(OLD_KRITA)
    assert ctx.host == KRITA and ctx.document == "/home/u/art.kra" and ctx.document_name == "art.kra"
    assert ctx.canvas == Size(160, 120) and ctx.context_box == Box(40, 20, 120, 90)
    assert ctx.selection_box == Box(60, 30, 80, 60) and ctx.layer == "Paint Layer 1"
    assert ctx.layer_id == OLD_KRITA["layer_uid"] and ctx.source == "layer"
    assert ctx.color == ColorSpace("RGBA", "U8", "sRGB-elle-V2-srgbtrc.icc")


def test_old_gimp_records_are_still_read():
    ctx = JobContext.from_json(OLD_GIMP)
    assert ctx.host == GIMP and ctx.document_id == 1 and ctx.document_name == "Untitled"
    assert ctx.layer_id == "2" and ctx.layer == "Background" and ctx.canvas == Size(120, 80)
    assert ctx.context_box == Box(8, 4, 72, 48) and ctx.selection_box == Box(20, 10, 40, 30)
    assert ctx.in_session(GIMP, "777") and ctx.new_layer_name == "GPT: make it blue"
    assert ctx.legacy_mask_file == "/x/gimp-masks/ab.mask"


def test_old_command_line_records_are_still_read():
    ctx = JobContext.from_json(OLD_CLI)
    assert ctx.host == CLI and ctx.input == "/tmp/in.png" and ctx.output == "/tmp/out.png"
    assert ctx.context_box is None


@pytest.mark.parametrize("old", [OLD_KRITA, OLD_GIMP, OLD_CLI])
def test_an_old_record_in_the_ledger_reads_as_the_typed_record(old):
    import json
    import sqlite3

    ledger = Ledger()
    job = ledger.create(_job())
    with sqlite3.connect(ledger.path) as c:
        c.execute("UPDATE jobs SET context = ? WHERE id = ?", (json.dumps(old), job.id))
    assert ledger.get(job.id).context == JobContext.from_json(old)


def test_unknown_keys_are_kept_and_written_back():
    ctx = JobContext.from_json({"host": "krita", "future_key": [1, 2]})
    assert ctx.to_json()["future_key"] == [1, 2]


def test_selection_round_trip_and_mismatch(isolated_home):
    ledger = Ledger()
    job = ledger.create(_job(JobContext(context_box=Box(0, 0, 6, 4))))
    mask = bytes([0, 255, 128, 7]) * 6
    path = ledger.save_selection(job.id, mask)
    assert path == results_dir() / job.id / SELECTION_FILE and path.parent.parent == isolated_home / "results"
    assert zlib.decompress(path.read_bytes()) == mask
    assert ledger.load_selection(job) == mask
    assert ledger.load_selection(job, Box(0, 0, 5, 4)) is None  # wrong size: no misplaced mask
    assert ledger.load_selection(_job()) is None  # no box, no mask
    path.unlink()
    assert ledger.load_selection(job) is None


def test_selections_saved_by_older_krita_and_gimp_are_still_read(isolated_home):
    ledger = Ledger()
    mask = bytes((i * 7) % 256 for i in range(72 * 48))
    krita = ledger.create(_job(JobContext.from_json(dict(OLD_KRITA, context_box=[8, 4, 72, 48]))))
    (results_dir() / krita.id).mkdir(parents=True)
    (results_dir() / krita.id / "selection.gray").write_bytes(mask)
    assert ledger.load_selection(krita) == mask
    old_file = Path(isolated_home) / "gimp-masks" / "ab.mask"
    old_file.parent.mkdir(parents=True)
    old_file.write_bytes(zlib.compress(mask, 6))
    gimp = ledger.create(_job(JobContext.from_json(dict(OLD_GIMP, mask_file=str(old_file)))))
    assert ledger.load_selection(gimp) == mask
    old_file.unlink()
    assert ledger.load_selection(gimp) is None


def test_the_engine_keeps_the_selection_before_the_job_is_recorded(isolated_home):
    from gptedit import recipe
    from gptedit.engine import new_job
    from gptedit.models import ImageInput
    from gptedit.pngio import encode_png
    from gptedit.settings import resolve

    s = resolve({"provider": "sandbox"}, env={}, config={})
    req = recipe.build_request(s, "x", [ImageInput(encode_png(6, 4, bytes(96), 4), "image/png", 6, 4)])
    mask = bytes(24)
    ledger = Ledger()
    job, _provider = new_job(
        ledger, s, req, origin="test", context=JobContext(context_box=Box(1, 1, 6, 4)), selection=mask
    )
    assert ledger.load_selection(ledger.get(job.id)) == mask


def _bgra(w: int, h: int) -> bytes:
    return bytes(v for i in range(w * h) for v in (i % 251, (3 * i) % 256, (7 * i) % 253, 255))


def test_the_sent_region_round_trips_in_every_layout(isolated_home):
    ledger = Ledger()
    job = ledger.create(_job(JobContext(context_box=Box(0, 0, 7, 5))))
    bgra = _bgra(7, 5)
    path = ledger.save_sent(job.id, SentRegion(7, 5, bgra, "BGRA"))
    assert path == results_dir() / job.id / SENT_FILE and not list(path.parent.glob("*.part"))
    png = decode_png(path.read_bytes())
    assert (png.width, png.height, png.channels) == (7, 5, 3)  # colours only: alpha is not needed
    assert png.pixels[:3] == bytes((bgra[2], bgra[1], bgra[0]))
    back = ledger.load_sent(job, "BGRA")
    assert (back.width, back.height, back.layout) == (7, 5, "BGRA") and back.pixels == bgra
    rgba = ledger.load_sent(job, "RGBA").pixels
    assert rgba[0::4] == bgra[2::4] and rgba[2::4] == bgra[0::4] and set(rgba[3::4]) == {255}
    assert ledger.load_sent(job).pixels == png.pixels


def test_a_job_without_a_kept_region_or_with_a_damaged_one_reads_none(isolated_home):
    ledger = Ledger()
    job = ledger.create(_job(JobContext(context_box=Box(0, 0, 7, 5))))
    assert ledger.load_sent(job) is None  # made before the region was kept
    path = ledger.save_sent(job.id, SentRegion(7, 5, _bgra(7, 5)[: 7 * 5 * 3], "RGB"))
    path.write_bytes(path.read_bytes()[:-20])  # cut short
    assert ledger.load_sent(job) is None


def test_the_engine_keeps_the_sent_region_with_the_selection_only(isolated_home):
    from gptedit import recipe
    from gptedit.engine import new_job
    from gptedit.models import ImageInput
    from gptedit.pngio import encode_png
    from gptedit.settings import resolve

    s = resolve({"provider": "sandbox"}, env={}, config={})
    req = recipe.build_request(s, "x", [ImageInput(encode_png(6, 4, bytes(96), 4), "image/png", 6, 4)])
    sent = SentRegion(6, 4, _bgra(6, 4), "BGRA")
    ledger = Ledger()
    ctx = JobContext(context_box=Box(1, 1, 6, 4))
    job, _provider = new_job(ledger, s, req, origin="test", context=ctx, selection=bytes(24), sent=sent)
    assert ledger.load_sent(ledger.get(job.id), "BGRA") == sent
    # without a selection nothing is corrected later, so nothing is kept
    bare, _provider = new_job(ledger, s, req, origin="test", context=ctx, sent=sent)
    assert ledger.load_sent(ledger.get(bare.id)) is None
    assert not (results_dir() / bare.id).exists()


def test_a_later_insert_finds_what_its_job_kept(isolated_home):
    from gptedit.seam import later

    ledger = Ledger()
    box = Box(0, 0, 7, 5)
    job = ledger.create(_job(JobContext(context_box=box)))
    assert later.kept(ledger, job, None, "RGB") == later.Kept(None, None)  # no selection: nothing to measure
    ledger.save_selection(job.id, bytes(35))
    old = later.kept(ledger, job, None, "RGB")
    assert old.mask == bytes(35) and old.sent is None and not old.measurable
    corr = later.uncorrected(7, 5, 14, 10, old.mask)
    assert not corr.moves and corr.tables is None and corr.mask == old.mask
    assert "not kept" in corr.report.summary() and "without the drift correction" in corr.report.summary()
    ledger.save_sent(job.id, SentRegion(7, 5, _bgra(7, 5), "BGRA"))
    assert later.kept(ledger, job, box, "BGRA").measurable


def test_corrections_stored_at_a_first_insert_are_read_back_with_their_soft_edge():
    from gptedit.seam import later
    from gptedit.seam.align import Warp
    from gptedit.seam.correct import Correction, SeamReport

    first = Correction(40, 30, 80, 60, Warp(1.02, 0.01, -0.005), None, None, SeamReport(feather_px=4))
    job = _job()
    assert later.stored(job, 40, 30, [(80, 60)], bytes(1200)) is None  # nothing stored
    job.seam = {"variations": [first.to_json()]}
    mask = bytes(255 if 10 <= i % 40 < 30 and 8 <= i // 40 < 22 else 0 for i in range(1200))
    (again,) = later.stored(job, 40, 30, [(80, 60)], mask)
    assert again.warp == first.warp and again.report.feather_px == 4
    assert again.mask != mask and len(again.mask) == 1200  # feathered as it was the first time
