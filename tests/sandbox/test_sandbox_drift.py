"""Drifted answers: switched per job by the config or a prompt tag, deterministic for a seed, the requested
edit still inside the selection."""

from __future__ import annotations

import base64

import pytest
from gptedit.sandbox import drift as D
from gptedit.sandbox import pictures as P
from PIL import Image, ImageChops, ImageStat
from sbhelpers import BEARER, decode, encode


def openai_edit(sb, http, img: Image.Image, prompt: str, mask: bytes | None = None, n: int = 1):
    files = [("image", ("in.png", encode(img), "image/png"))]
    if mask is not None:
        files.append(("mask", ("mask.png", mask, "image/png")))
    r = http.post(
        sb.base_urls["openai"] + "/images/edits",
        headers=BEARER,
        files=files,
        data={"model": "gpt-image-2", "prompt": prompt, "n": str(n)},
    )
    assert r.status_code == 200, r.text
    return [decode(base64.b64decode(d["b64_json"])).convert("RGBA") for d in r.json()["data"]]


def mean_diff(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


@pytest.fixture
def picture():
    return P.make("photo", 96, 64, 1)


def test_no_drift_by_default(sb, http, picture):
    (out,) = openai_edit(sb, http, picture, "[identity]")
    assert out.tobytes() == picture.tobytes()


def test_prompt_tag_drifts_exactly_as_drawn_for_its_seed(sb, http, picture):
    (out,) = openai_edit(sb, http, picture, "[identity] [drift:1.5:7]")
    expected = D.apply(picture, D.draw(D.DriftSpec(1.5, 7)))
    assert out.tobytes() == expected.tobytes()
    assert mean_diff(out, picture) > 3


def test_config_switches_drift_on_for_the_jobs_that_follow(sb, http, picture):
    sb.configure(drift={"strength": 1, "seed": 3})
    first, second = openai_edit(sb, http, picture, "[identity]", n=2)
    assert first.tobytes() == D.apply(picture, D.draw(D.DriftSpec(1.0, 3), 0)).tobytes()
    assert second.tobytes() == D.apply(picture, D.draw(D.DriftSpec(1.0, 3), 1)).tobytes()
    (again,) = openai_edit(sb, http, picture, "[identity]")
    assert again.tobytes() == first.tobytes()  # deterministic: the same seed gives the same answer
    sb.configure(drift=None)
    (plain,) = openai_edit(sb, http, picture, "[identity]")
    assert plain.tobytes() == picture.tobytes()


def test_the_edit_shows_inside_the_selection_under_the_drift(sb, http, picture):
    mask = Image.new("RGBA", picture.size, (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 48, 64))  # left half may be edited
    (out,) = openai_edit(sb, http, picture, "[invert] [drift:0.5:1]", encode(mask))
    inverted = picture.convert("RGB").point(lambda v: 255 - v)
    left, right = (0, 8, 40, 56), (56, 8, 88, 56)
    assert mean_diff(out.crop(left), inverted.crop(left)) < 30
    assert mean_diff(out.crop(right), picture.crop(right)) < 30
    assert mean_diff(out.crop(right), inverted.crop(right)) > 60


@pytest.mark.parametrize(
    "bad", [{"strength": -1}, {"strength": 9}, {"seed": -2}, {"seed": 1.5}, {"speed": 1}, "strong", 3]
)
def test_bad_drift_options_are_refused(sb, bad):
    with pytest.raises(ValueError):
        sb.configure(drift=bad)


def test_drift_config_is_reported(sb, http):
    sb.configure(drift=True)
    assert sb.config["drift"] is True
    sb.configure(drift={"seed": 4})
    assert sb.config["drift"] == {"strength": 1.0, "seed": 4}


def test_drawn_drift_is_within_the_documented_range():
    for seed in range(20):
        d = D.draw(D.DriftSpec(1.0, seed))
        assert 0.5 * D.MAX_SHIFT_PX <= abs(d.dx) <= D.MAX_SHIFT_PX
        assert 0.5 * D.MAX_ZOOM <= abs(d.zoom - 1) <= D.MAX_ZOOM
        assert all(0.5 * D.MAX_GAIN <= abs(g - 1) <= D.MAX_GAIN for g in d.gain)
    assert D.draw(D.DriftSpec(0.0, 1)).dx == 0
