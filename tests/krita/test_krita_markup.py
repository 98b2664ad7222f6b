"""Markup edits in real Krita (scenario: scenarios/markup.py, run once per Krita version): a paint layer
chosen as Markup reaches a GPT Image 2.6 model through the sandbox and the inserted pixels show the strokes
painted in; refusals before sending; controls per model."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def markup(krita_once, krita_host) -> dict:
    def flow(krita):
        # the key's model list, as `gptedit models --refresh` saves it: this key lacks gpt-image-2.5-flare
        from gptedit.catalog import PROVIDERS

        ids = [m.id for m in PROVIDERS["openai"].models if m.id != "gpt-image-2.5-flare"]
        key = "openai " + krita.sandbox.base_urls["openai"].rstrip("/")
        (krita.home / "model_access.json").write_text(
            json.dumps({key: {"ids": ids, "fetched_at": time.time()}})
        )
        return krita.run(
            "markup.py", params={"version": krita_host.spec.version}, timeout=180, env=krita.env("openai")
        )

    return krita_once("markup", flow)


def test_gpt_image_2_shows_its_qualities_and_no_markup_or_complexity(markup):
    assert markup["gpt2_qualities"] == ["low", "medium", "high", "auto"]
    assert not markup["gpt2_markup_shown"] and not markup["gpt2_complexity_shown"]


def test_gpt_image_2_6_shows_its_tiers_markup_and_complexity(markup):
    assert markup["sunburst_qualities"] == ["low", "medium", "high", "xhigh", "max", "auto"]
    assert markup["sunburst_markup_shown"] and markup["sunburst_complexity_shown"]


def test_only_current_models_the_key_can_use_are_offered(markup):
    assert "gpt-image-1" not in markup["models"] and markup["models"][0] == "gpt-image-2.6-sunburst"
    assert "gpt-image-2.5-flare" not in markup["models"] and "gpt-image-2.5-sunburst" in markup["models"]


def test_any_paint_layer_can_be_chosen_as_markup_and_the_cost_is_quoted(markup):
    assert markup["markup_choice"] == "Markup" and markup["markup_layers"][0] == "None"
    assert "Markup" in markup["markup_layers"] and "art" in markup["markup_layers"]
    assert markup["estimate"].startswith("Estimated cost: $"), markup["estimate"]


def test_the_markup_is_sent_and_its_strokes_are_painted_into_the_answer(markup):
    assert markup["edit_state"] == "inserted", markup["edit_message"]
    assert markup["sent_model"] == "gpt-image-2.6-sunburst" and markup["sent_images"] == 1
    assert markup["sent_markup"]["width"] > 0 and markup["sent_markup"]["has_alpha"] is True
    assert markup["sent_complexity"] == "low" and markup["sent_quality"] == "xhigh"
    assert markup["inside_max_diff"] <= 8, markup  # the drawn stroke is painted into the answer
    assert markup["outside_max_diff"] <= 8, markup  # the rest is the picture as it was


def test_the_markup_layer_is_left_as_drawn_above_the_answer(markup):
    assert markup["markup_untouched"] and markup["markup_visible_unchanged"]
    # the answer lands above the edited layer, under the markup layer, which keeps its place
    assert markup["layers"][:2] == ["Background", "art"] and markup["layers"][2].startswith("GPT: ")
    assert markup["layers"][3] == "Markup"


def test_markup_without_a_model_for_it_and_shut_down_models_are_refused_before_sending(markup):
    assert "cannot take a markup layer" in markup["no_markup_message"], markup["no_markup_message"]
    assert markup["retired_api_message"] == (
        "gpt-image-1.5 was retired by OpenAI on 2026-12-01; use gpt-image-2.6-sunburst."
    )
    assert "gpt-image-1.5 was retired by OpenAI on 2026-12-01" in markup["retired_docker_message"]
    assert "gpt-image-1.5" not in markup["offered_after_shutdown"]
    assert markup["creates_after_refusals"] == 0


def test_the_docker_renders_with_markup(markup):
    shot = Path(markup["screenshot"])
    assert shot.stat().st_size > 5000
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(shot, artifacts / shot.name)
