"""The command line with the current models: `--markup FILE` and `--complexity` reach GPT Image 2.6, what a
model lacks and a shut-down model are refused before anything is sent, and `models` lists what is offered."""

from __future__ import annotations

import pytest
from conformance_helpers import picture
from PIL import Image
from test_cli import created, gptedit, keyed


@pytest.fixture
def sample(tmp_path):
    img, _ = picture(64, 48)
    path = tmp_path / "in.png"
    img.save(path)
    stroke = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    for x in range(10, 50):
        for y in range(20, 24):
            stroke.putpixel((x, y), (0, 0, 255, 255))
    markup = tmp_path / "markup.png"
    stroke.save(markup)
    return img, path, markup


def openai_args(sandbox, *extra):
    return ("--provider", "openai", "--base-url", sandbox.base_urls["openai"], *extra)


def refused_edit(src, tmp_path, *args, env_extra):
    """An edit of `src` that the command line must refuse before sending (exit status 2)."""
    return gptedit("edit", src, "-p", "x", "-o", tmp_path / "o.png", *args, env_extra=env_extra, check=2)


def test_markup_file_reaches_the_model_and_the_strokes_are_painted_in(sandbox, sample, tmp_path):
    img, src, markup = sample
    out = tmp_path / "out.png"
    proc = gptedit(
        "edit",
        src,
        "-p",
        "[identity] a river along the blue line",
        "-o",
        out,
        "--markup",
        markup,
        *openai_args(sandbox, "--model", "gpt-image-2.6-flare", "--complexity", "medium", "--quality", "max"),
        env_extra=keyed("openai"),
        check=0,
    )
    assert "complexity medium · markup" in proc.stderr and "estimated $" in proc.stderr
    result = Image.open(out).convert("RGBA")
    assert result.getpixel((10, 20)) == result.getpixel((49, 23)) == (0, 0, 255, 255)
    assert result.getpixel((9, 20)) == img.getpixel((9, 20)) and result.getpixel((30, 30)) == img.getpixel(
        (30, 30)
    )
    sent = sandbox.stats()["jobs"][-1]["request"]
    assert sent["markup_image"]["width"] == 64 and sent["complexity"] == "medium"
    assert sent["params"]["quality"] == "max"


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (("--model", "gpt-image-2", "--markup", "MARKUP"), "OpenAI gpt-image-2 cannot take a markup layer"),
        (("--model", "gpt-image-2", "--complexity", "low"), "has no complexity setting"),
        (
            ("--model", "gpt-image-2", "--quality", "xhigh"),
            "has no quality 'xhigh'; choose low, medium, high, auto",
        ),
    ],
)
def test_an_option_the_model_lacks_is_refused_before_sending(sandbox, sample, tmp_path, extra, words):
    _, src, markup = sample
    extra = tuple(str(markup) if a == "MARKUP" else a for a in extra)
    proc = refused_edit(src, tmp_path, *openai_args(sandbox, *extra), env_extra=keyed("openai"))
    assert words in proc.stderr
    assert created(sandbox, "openai") == 0


def test_a_markup_file_without_transparency_is_refused(sandbox, sample, tmp_path):
    _, src, _ = sample
    flat = tmp_path / "flat.png"
    Image.new("RGB", (64, 48), (255, 0, 0)).save(flat)
    proc = refused_edit(src, tmp_path, "--markup", flat, *openai_args(sandbox), env_extra=keyed("openai"))
    assert "has no transparency" in proc.stderr


@pytest.mark.parametrize("how", ["flag", "saved"])
def test_a_shut_down_model_is_refused_with_its_replacement(sandbox, sample, tmp_path, how):
    _, src, _ = sample
    env = dict(keyed("openai"), GPTEDIT_TODAY="2026-12-01")
    if how == "saved":
        gptedit("config", "set", "model", "gpt-image-1.5", "--provider", "openai", env_extra=env, check=0)
        extra = ()
    else:
        extra = ("--model", "gpt-image-1.5")
    proc = refused_edit(src, tmp_path, *openai_args(sandbox, *extra), env_extra=env)
    assert "gpt-image-1.5 was retired by OpenAI on 2026-12-01; use gpt-image-2.6-sunburst." in proc.stderr
    assert created(sandbox, "openai") == 0


def test_batch_refuses_a_shut_down_model_before_any_job(sandbox, sample, tmp_path):
    _, src, _ = sample
    env = dict(keyed("eachlabs"), GPTEDIT_TODAY="2026-12-01")
    proc = gptedit(
        "batch",
        src,
        src,
        "-p",
        "x",
        "-O",
        tmp_path / "outs",
        "--provider",
        "eachlabs",
        "--base-url",
        sandbox.base_urls["eachlabs"],
        "--model",
        "gpt-image-v1-5-edit",
        env_extra=env,
    )
    assert proc.returncode != 0
    assert (
        "gpt-image-v1-5-edit was retired by each::labs on 2026-12-01; use gpt-image-v2-edit." in proc.stderr
    )
    assert created(sandbox, "eachlabs") == 0


def test_models_lists_options_prices_and_shutdowns_and_the_keys_list(sandbox):
    env = dict(
        keyed("openai"), GPTEDIT_TODAY="2026-12-01", GPTEDIT_OPENAI_BASE_URL=sandbox.base_urls["openai"]
    )
    out = gptedit("models", "--provider", "openai", env_extra=env, check=0).stdout
    assert out.startswith("openai — default gpt-image-2.6-sunburst")
    assert "quality low|medium|high|xhigh|max|auto · complexity low|medium|high · mask · markup" in out
    assert "shut down: gpt-image-1.5 (2026-12-01, use gpt-image-2.6-sunburst)" in out
    assert "xhigh $" in out
    sandbox.configure(today="2026-12-01")
    refreshed = gptedit("models", "--provider", "openai", "--refresh", env_extra=env, check=0).stdout
    assert "your key can use" in refreshed and "[not in your key's model list]" not in refreshed
