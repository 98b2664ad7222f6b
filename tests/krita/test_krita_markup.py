"""Markup edits in real Krita: a paint layer chosen as Markup reaches a GPT Image 2.6 model through the
sandbox and the inserted pixels show the strokes painted in; refusals before sending; controls per model."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_markup_layer_edit_and_model_controls(krita, krita_host):
    # the key's model list, as `gptedit models --refresh` saves it: this key lacks gpt-image-2.5-flare
    from gptedit.catalog import PROVIDERS

    ids = [m.id for m in PROVIDERS["openai"].models if m.id != "gpt-image-2.5-flare"]
    key = "openai " + krita.sandbox.base_urls["openai"].rstrip("/")
    (krita.home / "model_access.json").write_text(json.dumps({key: {"ids": ids, "fetched_at": time.time()}}))
    data = krita.run("markup.py", params={"version": krita_host.spec.version}, timeout=180,
                     env=krita.env("openai"))

    assert data["gpt2_qualities"] == ["low", "medium", "high", "auto"]
    assert not data["gpt2_markup_shown"] and not data["gpt2_complexity_shown"]
    assert data["sunburst_qualities"] == ["low", "medium", "high", "xhigh", "max", "auto"]
    assert data["sunburst_markup_shown"] and data["sunburst_complexity_shown"]
    assert "gpt-image-1" not in data["models"] and data["models"][0] == "gpt-image-2.6-sunburst"
    assert "gpt-image-2.5-flare" not in data["models"] and "gpt-image-2.5-sunburst" in data["models"]
    assert data["markup_choice"] == "Markup" and data["markup_layers"][0] == "None"
    assert "Markup" in data["markup_layers"] and "art" in data["markup_layers"]
    assert data["estimate"].startswith("Estimated cost: $"), data["estimate"]

    assert data["edit_state"] == "inserted", data["edit_message"]
    assert data["sent_model"] == "gpt-image-2.6-sunburst" and data["sent_images"] == 1
    assert data["sent_markup"]["width"] > 0 and data["sent_markup"]["has_alpha"] is True
    assert data["sent_complexity"] == "low" and data["sent_quality"] == "xhigh"
    assert data["inside_max_diff"] <= 8, data  # the drawn stroke is painted into the answer
    assert data["outside_max_diff"] <= 8, data  # the rest is the picture as it was
    assert data["markup_untouched"] and data["markup_visible_unchanged"]
    # the answer lands above the edited layer, under the markup layer, which keeps its place
    assert data["layers"][:2] == ["Background", "art"] and data["layers"][2].startswith("GPT: ")
    assert data["layers"][3] == "Markup"

    assert "cannot take a markup layer" in data["no_markup_message"], data["no_markup_message"]
    assert data["retired_api_message"] == ("gpt-image-1.5 was retired by OpenAI on 2026-12-01; "
                                           "use gpt-image-2.6-sunburst.")
    assert "gpt-image-1.5 was retired by OpenAI on 2026-12-01" in data["retired_docker_message"]
    assert "gpt-image-1.5" not in data["offered_after_shutdown"]
    assert data["creates_after_refusals"] == 0

    shot = Path(data["screenshot"])
    assert shot.stat().st_size > 5000
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copy(shot, artifacts / shot.name)
