"""`edit --mask` corrects a drifted answer before writing it: a real command-line process against the
sandbox with drift switched on by the prompt tag."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gptedit.ledger import SENT_FILE, Ledger, SentRegion
from gptedit.models import JobState
from gptedit.paths import results_dir
from gptedit.sandbox import pictures as P
from PIL import Image, ImageChops, ImageFilter, ImageStat
from test_cli import ROOT, gptedit, keyed

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
    proc, _ = run(sandbox, tmp_path, "--no-align", "--no-colour", "--no-blend", "--no-sharpen")
    assert "Seam: nothing corrected" in proc.stderr
    assert "switched off" in proc.stderr


def test_line_art_is_sharpened_back_unless_switched_off(sandbox, tmp_path):
    """Line art comes back softer (the sandbox's blur, and the resampling that lines it up): the command
    line sharpens it back by the amount it measured outside the selection, and reports it."""
    img = P.make("lineart", 600, 600, 2)
    img.save(tmp_path / "in.png")
    selection = P.ellipse_mask(600, 600)
    mask = Image.new("RGBA", img.size, (0, 0, 0, 255))
    mask.putalpha(selection.point(lambda v: 0 if v else 255))
    mask.save(tmp_path / "mask.png")
    edge = band(selection, 6)
    proc, sharp = run(sandbox, tmp_path)
    assert re.search(r"sharpness restored \(unsharp mask \d\.\d\d\)", proc.stderr), proc.stderr
    proc, plain = run(sandbox, tmp_path, "--no-sharpen")
    assert "sharpness" not in proc.stderr, proc.stderr
    assert error(sharp, img, edge) < 0.85 * error(plain, img, edge)


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


def _killed_while_polling(sandbox, tmp_path, out):
    """A drifted `edit --mask` at fal, SIGKILLed while it polls: (the ledger, the job it left running). The
    sandbox holds the job running until the client is gone (a latency could run out first on a busy
    machine), then lets it end for `jobs resume`."""
    sandbox.configure(latency=0.1, hold="processing")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gptedit",
            "edit",
            tmp_path / "in.png",
            "-p",
            "[identity] [drift:1:4] keep it",
            "-o",
            out,
            "--mask",
            tmp_path / "mask.png",
            "--provider",
            "fal",
            "--base-url",
            sandbox.base_urls["fal"],
        ],
        env=dict(os.environ, **keyed("fal")),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    ledger = Ledger()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        jobs = ledger.list(limit=1)
        if jobs and jobs[0].state is JobState.RUNNING:
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the command line never reached polling")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    sandbox.configure(hold=None)
    return ledger, jobs[0]


def test_a_job_resumed_after_a_crash_is_corrected_like_a_fresh_one(sandbox, files):
    """The command line is killed while it polls a drifted job; `jobs resume` measures the answer against
    the input the job kept in the ledger (the input file is gone by then) and writes it corrected."""
    img, selection, tmp_path = files
    out = tmp_path / "resumed.png"
    ledger, job = _killed_while_polling(sandbox, tmp_path, out)
    (tmp_path / "in.png").unlink()  # what the answer is measured against is the job's own copy
    resumed = gptedit("jobs", "resume", env_extra=keyed("fal"), check=0, timeout=60)
    assert f"wrote {out}" in resumed.stderr, resumed.stderr
    assert re.search(r"Seam: shifted [+-]\d\.\d, [+-]\d\.\d px, zoom [+-]\d\.\d %", resumed.stderr)
    got = Image.open(out).convert("RGB")
    outside = selection.point(lambda v: 0 if v else 255).filter(ImageFilter.MinFilter(9))
    assert error(got, img, outside) == 0  # outside the (feathered) selection the input stays as it was
    raw = Image.open(ledger.get(job.id).results[0]).convert("RGB").resize(img.size, Image.Resampling.LANCZOS)
    raw_comp = Image.composite(raw, img.convert("RGB"), selection)  # the answer laid in uncorrected
    edge = band(selection, 4)
    assert error(got, img, edge) < error(raw_comp, img, edge) / 3
    seam = ledger.get(job.id).seam["variations"][0]
    assert seam["aligned"] and seam["colour_matched"], seam


def test_a_resumed_job_whose_region_was_kept_smaller_is_still_corrected(sandbox, files):
    """Krita keeps a large region scaled down (at most 2048 px long): the kept copy is brought back to the
    selection's size before the answer is measured against it."""
    img, selection, tmp_path = files
    out = tmp_path / "resumed.png"
    ledger, job = _killed_while_polling(sandbox, tmp_path, out)
    full = ledger.load_sent(job, "RGB")
    half = Image.frombytes("RGB", (full.width, full.height), full.pixels).resize(
        (full.width // 2, full.height // 2), Image.Resampling.LANCZOS
    )
    ledger.save_sent(job.id, SentRegion(half.width, half.height, half.tobytes(), "RGB"))
    resumed = gptedit("jobs", "resume", env_extra=keyed("fal"), check=0, timeout=60)
    assert f"wrote {out}" in resumed.stderr, resumed.stderr
    assert re.search(r"Seam: shifted [+-]\d\.\d, [+-]\d\.\d px, zoom [+-]\d\.\d %", resumed.stderr)
    got = Image.open(out).convert("RGB")
    raw = Image.open(ledger.get(job.id).results[0]).convert("RGB").resize(img.size, Image.Resampling.LANCZOS)
    edge = band(selection, 4)
    assert error(got, img, edge) < error(Image.composite(raw, img.convert("RGB"), selection), img, edge) / 2


def test_a_resumed_job_that_kept_no_region_is_written_as_it_came_and_says_why(sandbox, files):
    """A job from a version that kept no copy of what it sent (here: the copy removed)."""
    _img, _selection, tmp_path = files
    out = tmp_path / "resumed.png"
    ledger, job = _killed_while_polling(sandbox, tmp_path, out)
    (results_dir() / job.id / SENT_FILE).unlink()
    resumed = gptedit("jobs", "resume", env_extra=keyed("fal"), check=0, timeout=60)
    assert f"wrote {out}" in resumed.stderr, resumed.stderr
    assert "Seam: nothing corrected" in resumed.stderr and "was not kept" in resumed.stderr, resumed.stderr
    answer = ledger.get(job.id).results[0]
    assert out.read_bytes() == Path(answer).read_bytes()  # the answer as the provider sent it
    assert "was not kept" in ledger.get(job.id).seam["variations"][0]["note"]
