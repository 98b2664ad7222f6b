"""Shut-down models: not offered after their date, and refused by name with the replacement before anything
is sent — whatever names them (settings, a flag, a script, a batch). The date is injected, so the day after
a shutdown is tested today."""

from __future__ import annotations

from datetime import date

import pytest
from gptedit import engine
from gptedit.catalog import PROVIDERS, model_info
from gptedit.errors import ModelRetired
from gptedit.models import EditRequest, ImageInput
from gptedit.retirement import TODAY_ENV, current_date, menu_label, offered_ids
from gptedit.settings import resolve

BEFORE, ON, AFTER = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)


def test_models_are_offered_until_the_day_before_their_shutdown():
    assert "gpt-image-1.5" in offered_ids("openai", today=BEFORE)
    for day in (ON, AFTER):
        ids = offered_ids("openai", today=day)
        assert not {"gpt-image-1.5", "gpt-image-1-mini", "chatgpt-image-latest", "gpt-image-1"} & set(ids)
        assert ids[:2] == ["gpt-image-2.6-sunburst", "gpt-image-2.6-flare"]
    assert "gpt-image-1" not in offered_ids("openai", today=date(2026, 10, 23))
    assert offered_ids("eachlabs", today=ON) == ["gpt-image-v2-edit"]
    assert offered_ids("replicate", today=ON) == ["openai/gpt-image-2"]
    assert offered_ids("fal", today=ON) == ["openai/gpt-image-2/edit", "openai/gpt-image-2.5/flare/edit"]


@pytest.mark.parametrize(
    ("provider", "model", "replacement", "when"),
    [
        ("openai", "gpt-image-1.5", "gpt-image-2.6-sunburst", "2026-12-01"),
        ("openai", "gpt-image-1-mini", "gpt-image-2.6-flare", "2026-12-01"),
        ("openai", "chatgpt-image-latest", "gpt-image-2.6-sunburst", "2026-12-01"),
        ("openai", "gpt-image-1", "gpt-image-2.6-sunburst", "2026-10-23"),
        ("eachlabs", "gpt-image-v1-5-edit", "gpt-image-v2-edit", "2026-12-01"),
        ("replicate", "openai/gpt-image-1.5", "openai/gpt-image-2", "2026-12-01"),
        ("fal", "fal-ai/gpt-image-1.5/edit", "openai/gpt-image-2/edit", "2026-12-01"),
    ],
)
def test_a_retired_model_is_refused_naming_the_date_and_the_replacement(provider, model, replacement, when):
    with pytest.raises(ModelRetired) as e:
        model_info(provider, model, today=ON)
    label = PROVIDERS[provider].label
    assert str(e.value) == f"{model} was retired by {label} on {when}; use {replacement}."
    assert e.value.replacement == replacement and e.value.kind == "retired"


def test_the_exact_words_of_the_issue():
    with pytest.raises(
        ModelRetired,
        match=r"^gpt-image-1\.5 was retired by OpenAI on 2026-12-01; "
        r"use gpt-image-2\.6-sunburst\.$",
    ):
        model_info("openai", "gpt-image-1.5", today=AFTER)


def test_the_clock_is_the_utc_date_unless_the_environment_sets_one(monkeypatch):
    monkeypatch.delenv(TODAY_ENV, raising=False)
    assert abs((current_date() - date.today()).days) <= 1
    monkeypatch.setenv(TODAY_ENV, "2026-12-01")
    assert current_date() == ON
    with pytest.raises(ModelRetired):
        model_info("openai", "gpt-image-1.5")  # no explicit date: the environment's
    monkeypatch.setenv(TODAY_ENV, "1st of December")
    with pytest.raises(Exception, match="not a date"):
        current_date()


def test_a_model_retiring_soon_says_so_in_menus():
    m = PROVIDERS["openai"].find("gpt-image-1.5")
    assert menu_label(m, today=BEFORE) == "gpt-image-1.5 (retires 2026-12-01)"
    assert menu_label(PROVIDERS["openai"].find("gpt-image-2.6-flare"), today=BEFORE) == "gpt-image-2.6-flare"


def _png(w: int = 64, h: int = 64) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (w, h), (10, 20, 30, 255)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("source", ["config", "env", "flag"])
def test_a_saved_setting_env_or_flag_naming_a_retired_model_is_refused_before_any_request(
    source, monkeypatch, tmp_path
):
    monkeypatch.setenv(TODAY_ENV, "2026-12-01")
    monkeypatch.delenv("GPTEDIT_MODEL", raising=False)
    config = {
        "provider": "openai",
        "providers": {"openai": {"api_key": "sk-test", "base_url": "http://127.0.0.1:9/v1"}},
    }
    flags = {}
    if source == "config":
        config["providers"]["openai"]["model"] = "gpt-image-1.5"
    elif source == "env":
        monkeypatch.setenv("GPTEDIT_MODEL", "gpt-image-1.5")
    else:
        flags["model"] = "gpt-image-1.5"
    settings = resolve(
        flags, config=config
    )  # reading settings never fails: the user must be able to fix them
    assert settings.model == "gpt-image-1.5"
    request = EditRequest("make it blue", [ImageInput(_png(), width=64, height=64)], settings.model)
    with pytest.raises(ModelRetired, match="use gpt-image-2.6-sunburst"):
        engine.preflight(settings, request)  # port 9 is never contacted: the refusal comes first
