"""`edit --mask` corrects a drifted answer before writing it: a real command-line process against the
sandbox with drift switched on by the prompt tag."""

from __future__ import annotations

import re

import pytest
from gptedit.ledger import Ledger
from gptedit.sandbox import pictures as P
from PIL import Image, ImageChops, ImageFilter, ImageStat
from test_cli import gptedit, keyed

W, H = 384, 256


@pytest.fixture
def files(tmp_path):
    img = P.make("photo", W, H, 2)
    img.save(tmp_path / "in.png")
    selection = P.ellipse_mask(W, H)
    mask = Image.new("RGBA", img.size, (0, 0, 0, 255))
    mask.putalpha(selection.point(lambda v: 0 if v else 255))
    mask.save(tmp_path / "mask.png")
    return img, selection, tmp_path


def run(sandbox, tmp_path, *extra, prompt="[identity] [drift:1:4] keep it"):
    out = tmp_path / "out.png"
    proc = gptedit(
        "edit",
        tmp_path / "in.png",
        "-p",
        prompt,
        "-o",
        out,
        "--mask",
        tmp_path / "mask.png",
        "--provider",
        "openai",
        "--base-url",
        sandbox.base_urls["openai"],
        *extra,
        env_extra=keyed("openai"),
        check=0,
    )
    return proc, Image.open(out).convert("RGB")


def band(selection: Image.Image, width: int) -> Image.Image:
    inner = selection
    for _ in range(width):
        inner = inner.filter(ImageFilter.MinFilter(3))
    return ImageChops.subtract(selection, inner)


def error(a, b, where) -> float:
    return ImageStat.Stat(ImageChops.difference(a, b.convert("RGB")).convert("L"), where).mean[0]


def test_a_drifted_answer_is_lined_up_and_blended(sandbox, files):
    img, selection, tmp_path = files
    proc, out = run(sandbox, tmp_path)
    assert re.search(r"Seam: shifted [+-]\d\.\d, [+-]\d\.\d px, zoom [+-]\d\.\d %", proc.stderr), proc.stderr
    outside = selection.point(lambda v: 0 if v else 255).filter(ImageFilter.MinFilter(9))
    assert error(out, img, outside) == 0  # outside the (feathered) selection the input stays as it was
    _, raw = run(sandbox, tmp_path, "--raw")
    edge = band(selection, 4)
    assert error(raw, img, outside) > 5
    assert error(out, img, edge) < error(raw, img, edge) / 3
    job = Ledger().list(limit=1)[0]
    assert job.seam is None  # the --raw run stored nothing; the corrected one before it did
    corrected = Ledger().list(limit=2)[1]
    assert corrected.seam["variations"][0]["aligned"]
    shown = gptedit("jobs", "show", corrected.id, check=0).stdout
    assert "seam: Seam: shifted" in shown and "levels" in shown


def test_switches_turn_steps_off(sandbox, files):
    _img, _selection, tmp_path = files
    proc, _ = run(sandbox, tmp_path, "--no-align", "--no-colour", "--no-blend")
    assert "Seam: nothing corrected" in proc.stderr
    assert "switched off" in proc.stderr


def test_without_a_mask_nothing_is_corrected_and_it_says_so(sandbox, files):
    img, _selection, tmp_path = files
    out = tmp_path / "whole.png"
    proc = gptedit(
        "edit",
        tmp_path / "in.png",
        "-p",
        "[identity] [drift:1:4]",
        "-o",
        out,
        "--provider",
        "openai",
        "--base-url",
        sandbox.base_urls["openai"],
        env_extra=keyed("openai"),
        check=0,
    )
    assert "No selection" in proc.stderr
    assert Image.open(out).size == img.size


def test_the_settings_choose_the_defaults_and_flags_win(sandbox, files):
    _img, _selection, tmp_path = files
    out = tmp_path / "out.png"
    args = (
        "edit",
        tmp_path / "in.png",
        "-p",
        "[identity] [drift:1:4]",
        "-o",
        out,
        "--mask",
        tmp_path / "mask.png",
        "--provider",
        "openai",
        "--base-url",
        sandbox.base_urls["openai"],
    )
    env = {**keyed("openai"), "GPTEDIT_SEAM_FEATHER": "5", "GPTEDIT_SEAM_COLOUR": "0"}
    proc = gptedit(*args, env_extra=env, check=0)
    assert f"edge faded over {round(W * 0.05)} px" in proc.stderr and "colours moved" not in proc.stderr
    proc = gptedit(*args, "--feather", "3", env_extra=env, check=0)
    assert f"edge faded over {round(W * 0.03)} px" in proc.stderr
