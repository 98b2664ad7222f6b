"""Options that follow the model (quality tier, complexity, markup): one set of refusals for every front
end, checked before any pixel is read; a saved complexity preference does not block models without it."""

from __future__ import annotations

import pytest
from gptedit.catalog import model_info
from gptedit.errors import ConfigError, ModelRetired, Unsupported
from gptedit.model_options import check_settings_choices, effective_complexity
from gptedit.models import Complexity, Quality
from gptedit.settings import resolve


def test_choices_the_model_has_pass_and_the_entry_comes_back():
    info = check_settings_choices(
        "openai", "gpt-image-2.6-flare", quality=Quality.MAX, complexity=Complexity.MEDIUM, markup=True
    )
    assert info.id == "gpt-image-2.6-flare"


@pytest.mark.parametrize(
    ("model", "kw", "words"),
    [
        (
            "gpt-image-2",
            {"quality": Quality.XHIGH},
            "OpenAI gpt-image-2 has no quality 'xhigh'; choose low, medium",
        ),
        ("gpt-image-2", {"complexity": Complexity.LOW}, "has no complexity setting"),
        ("gpt-image-2.5-sunburst", {"markup": True}, "cannot take a markup layer"),
    ],
)
def test_what_the_model_lacks_is_named(model, kw, words):
    with pytest.raises(Unsupported, match=words):
        check_settings_choices("openai", model, **kw)


def test_a_retired_model_is_refused_first(monkeypatch):
    monkeypatch.setenv("GPTEDIT_TODAY", "2026-12-01")
    with pytest.raises(ModelRetired, match="use gpt-image-2.6-flare"):
        check_settings_choices("openai", "gpt-image-1-mini", markup=True)


def test_complexity_from_flags_env_and_config():
    assert resolve({"complexity": "low"}, env={}, config={}).complexity is Complexity.LOW
    assert resolve({}, env={"GPTEDIT_COMPLEXITY": "medium"}, config={}).complexity is Complexity.MEDIUM
    assert resolve({}, env={}, config={"defaults": {"complexity": "high"}}).complexity is Complexity.HIGH
    assert resolve({}, env={}, config={}).complexity is None
    with pytest.raises(ConfigError, match="choose one of low, medium, high"):
        resolve({"complexity": "deep"}, env={}, config={})


def test_a_saved_complexity_is_left_out_for_models_without_it_but_a_flag_is_kept():
    saved = resolve({"provider": "openai"}, env={}, config={"defaults": {"complexity": "low"}})
    assert effective_complexity(saved, model_info("openai", "gpt-image-2")) is None
    assert effective_complexity(saved, model_info("openai", "gpt-image-2.6-flare")) is Complexity.LOW
    flag = resolve({"provider": "openai", "complexity": "low"}, env={}, config={})
    assert effective_complexity(flag, model_info("openai", "gpt-image-2")) is Complexity.LOW  # then refused
