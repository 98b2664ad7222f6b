"""The current models in real GIMP 3.0 and 3.2: a layer passed as the markup-layer argument reaches GPT Image
2.6 through the sandbox (OpenAI's route) and the inserted pixels show the strokes painted in, the markup layer
left as drawn; a model without markup and a shut-down model (argument or saved setting) are refused before
anything is sent, the replacement named. The run's date is the day gpt-image-1.5 was shut down."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from gimp_harness import GIMP_PROVIDERS, hostenv, run_all_cases
from pixel_checks import EXECUTION_ERROR, SUCCESS, case, raw

pytestmark = [pytest.mark.hosts, pytest.mark.slow]

CASES = ["markup", "markup-unsupported", "retired-argument", "retired-saved"]
W, H = 120, 80
STROKE = (20, 30, 80, 8)  # x, y, width, height of the red stroke on the markup layer


@pytest.fixture(scope="module", params=hostenv.GIMP_HOSTS, ids=lambda s: s.id)
def gimp(request, gimp_zip, sandbox_server, sandbox_env, tmp_path_factory):
    keep = os.environ.get("GPTEDIT_GIMP_RUNS_DIR")
    base = Path(keep) / (request.param.id + "-models") if keep else tmp_path_factory.mktemp(request.param.id)
    return run_all_cases(
        request.param,
        gimp_zip,
        sandbox_server,
        sandbox_env(providers=GIMP_PROVIDERS),
        base,
        CASES,
        config=request.config,
        env_extra={"GPTEDIT_TODAY": "2026-12-01"},
    )


def test_markup_layer_is_sent_and_its_strokes_land_in_the_new_layer(gimp):
    rep = case(gimp, "markup")
    assert rep["status"] == SUCCESS, rep["message"]
    sent = rep["sent"]
    assert sent["model"] == "gpt-image-2.6-flare" and sent["complexity"] == "low"
    assert sent["markup_image"]["width"] == W and sent["markup_image"]["has_alpha"] is True
    # The plan asks 2.6 for a legal custom size (1008x672 here), so the answer is scaled back to the layer:
    # the same edit without markup went through the same scaling and is what the strokes must change.
    assert rep["plain_status"] == SUCCESS
    new, plain = raw(gimp, "markup", "new.rgba"), raw(gimp, "markup-plain", "new.rgba")
    assert rep["new"]["w"] == W and rep["new"]["h"] == H
    x0, y0, sw, sh = STROKE
    inside = outside = 0
    for y in range(H):
        for x in range(W):
            i = 4 * (y * W + x)
            px = new[i : i + 4]
            if x0 + 1 <= x < x0 + sw - 1 and y0 + 1 <= y < y0 + sh - 1:  # the stroke, its edge pixels aside
                inside = max(inside, max(abs(a - b) for a, b in zip(px, b"\xff\x00\x00\xff", strict=True)))
            elif not (x0 - 2 <= x < x0 + sw + 2 and y0 - 2 <= y < y0 + sh + 2):  # clear of the stroke
                outside = max(outside, max(abs(a - b) for a, b in zip(px, plain[i : i + 4], strict=True)))
    assert inside <= 2 and outside <= 2, (inside, outside)
    assert raw(gimp, "markup", "markup-before.rgba") == raw(gimp, "markup", "markup-after.rgba")
    assert rep["markup_visible_unchanged"] is True


def test_a_model_without_markup_is_refused_before_sending(gimp):
    rep = case(gimp, "markup-unsupported")
    assert rep["status"] == EXECUTION_ERROR
    assert "OpenAI gpt-image-2 cannot take a markup layer" in rep["message"], rep["message"]
    assert rep["creates"] == 0 and len(rep["tree"]) == rep["layers_before"]


@pytest.mark.parametrize("name", ["retired-argument", "retired-saved"])
def test_a_shut_down_model_is_refused_naming_the_replacement(gimp, name):
    rep = case(gimp, name)
    assert rep["status"] == EXECUTION_ERROR
    assert "gpt-image-1.5 was retired by OpenAI on 2026-12-01; use gpt-image-2.6-sunburst." in rep["message"]
    assert rep["creates"] == 0 and len(rep["tree"]) == rep["layers_before"]
