"""The GIMP plug-in's gi-free parts, outside GIMP: how procedure arguments become settings, and how a
snapshot of the canvas becomes the request (mask only for models that take one). The saved selection is
the ledger's (tests/unit/test_job_context.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "gimp_plugin" / "gptedit-gimp"))

from gptedit.catalog import model_info  # noqa: E402
from gptedit.geometry import Box, plan_edit, resize_nearest  # noqa: E402
from gptedit.pngio import decode_png  # noqa: E402
from gptedit.settings import resolve  # noqa: E402
from gptedit_gimp import options, request_build  # noqa: E402


def test_default_choices_leave_everything_to_the_shared_settings():
    opts = options.read_edit_options({"prompt": "  make it blue  "}.get)
    assert opts.prompt == "make it blue"
    assert opts.settings_flags() == {}
    assert opts.add_mask is True and opts.source == "layer" and opts.reference_ids == []


def test_explicit_choices_become_flags_that_win(monkeypatch):
    monkeypatch.setenv("GPTEDIT_QUALITY", "low")
    args = {
        "prompt": "x",
        "provider": "openai",
        "model": "gpt-image-2.6-flare",
        "quality": "high",
        "size": "1024x1536",
        "variations": 3,
        "output-format": "webp",
        "background": "opaque",
        "padding": 0.0,
        "deadline": 60,
        "reference-1": 7,
        "reference-2": None,
        "add-mask": False,
    }
    opts = options.read_edit_options(args.get)
    flags = opts.settings_flags()
    assert flags == {
        "provider": "openai",
        "model": "gpt-image-2.6-flare",
        "quality": "high",
        "size": "1024x1536",
        "n": 3,
        "output_format": "webp",
        "background": "opaque",
        "padding": 0.0,
        "deadline": 60.0,
    }
    s = resolve(flags)
    assert s.quality.value == "high"  # the dialog's choice beats the environment
    assert s.n == 3 and s.padding == 0.0 and opts.reference_ids == [7] and opts.add_mask is False


def test_choice_tables_cover_every_provider_and_start_with_default():
    nicks = [n for n, _ in options.PROVIDER_CHOICES]
    assert nicks[0] == options.DEFAULT and {"sandbox", "eachlabs", "openai", "replicate", "fal"} <= set(nicks)
    for table in (options.QUALITY_CHOICES, options.FORMAT_CHOICES, options.BACKGROUND_CHOICES):
        assert table[0][0] == options.DEFAULT and len({n for n, _ in table}) == len(table)
    assert "gpt-image-2" in options.model_blurb()


def snapshot(provider: str, model: str, sel: Box | None):
    info = model_info(provider, model)
    plan = plan_edit(100, 60, sel, info.sizes, size="auto", padding=0.1, max_send_side=48)
    ctx, send = plan.context, plan.send_size
    mask = None
    if sel is not None:
        mask = bytes(
            255
            if plan.selection.x <= x + ctx.x < plan.selection.right
            and plan.selection.y <= y + ctx.y < plan.selection.bottom
            else 0
            for y in range(ctx.height)
            for x in range(ctx.width)
        )
    px = SimpleNamespace(width=send.width, height=send.height, rgba=bytes(send.width * send.height * 4))
    ref = SimpleNamespace(width=4, height=3, rgba=bytes(range(48)))
    return SimpleNamespace(plan=plan, pixels=px, mask=mask, references=[ref])


def test_request_for_a_model_with_masks_carries_the_selection_at_the_sent_size():
    settings = resolve(
        {"provider": "openai", "model": "gpt-image-2.6-flare", "n": 2, "quality": "low", "api_key": "k"}
    )
    snap = snapshot("openai", "gpt-image-2.6-flare", Box(0, 20, 30, 20))
    req = request_build.build_request(snap, settings, "paint it")
    assert req.prompt == "paint it" and req.n == 2 and req.quality.value == "low"
    assert [(i.width, i.height) for i in req.images] == [(snap.pixels.width, snap.pixels.height), (4, 3)]
    assert req.mask is not None
    mask = decode_png(req.mask.data)
    assert (mask.width, mask.height) == (snap.pixels.width, snap.pixels.height)
    ctx = snap.plan.context
    sel = resize_nearest(snap.mask, ctx.width, ctx.height, mask.width, mask.height)
    # transparent (editable) exactly where the downscaled selection is, opaque elsewhere
    assert mask.pixels[3::4] == bytes(0 if v else 255 for v in sel)
    assert 0 < sel.count(0) < len(sel)


def test_uploaded_pictures_are_lossless_pngs_of_the_layer_pixels():
    settings = resolve({"provider": "eachlabs", "api_key": "k"})
    snap = snapshot("eachlabs", "", Box(10, 10, 20, 20))
    w, h = snap.pixels.width, snap.pixels.height
    snap.pixels.rgba = bytes(
        (x * 7 + y * 13 + c * 50) % 256 for y in range(h) for x in range(w) for c in range(4)
    )
    req = request_build.build_request(snap, settings, "x")
    for sent, source in zip(req.images, [snap.pixels, *snap.references], strict=True):
        back = decode_png(sent.data)
        assert sent.mime == "image/png" and back.channels == 4
        assert (back.width, back.height) == (source.width, source.height)
        assert bytes(back.pixels) == source.rgba


def test_request_for_a_model_without_masks_sends_none():
    settings = resolve({"provider": "eachlabs", "api_key": "k"})
    req = request_build.build_request(snapshot("eachlabs", "", Box(10, 10, 20, 20)), settings, "x")
    assert req.mask is None and req.size is None  # each::labs: "auto" → the provider picks


@pytest.mark.parametrize(
    "prompt,n,expected",
    [
        ("a  b\nc", 1, "GPT: a b c"),
        ("x" * 60, 1, "GPT: " + "x" * 39 + "…"),
        ("sky", 3, "GPT: sky (3 variations)"),
    ],
)
def test_layer_names_are_one_short_line(prompt, n, expected):
    assert options.layer_name(prompt, n) == expected
