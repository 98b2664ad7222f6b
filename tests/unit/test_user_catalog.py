"""models.json: users add or change models without a release; every mistake gets a message that says
which entry and what to write."""

from __future__ import annotations

import json
from datetime import date

import pytest
from gptedit import user_catalog
from gptedit.catalog import PROVIDERS, model_info
from gptedit.errors import ConfigError, ModelRetired
from gptedit.models import Quality, Size
from gptedit.pricing import estimate
from gptedit.settings import resolve


@pytest.fixture(autouse=True)
def builtin_catalog():
    user_catalog.reset()
    yield
    user_catalog.reset()


def write(tmp_path, data) -> object:
    path = tmp_path / "models.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def test_a_new_model_copies_the_one_it_is_like_and_is_priced(tmp_path):
    path = write(
        tmp_path,
        {
            "models": [
                {
                    "provider": "fal",
                    "id": "openai/gpt-image-2.6/sunburst/edit",
                    "like": "openai/gpt-image-2/edit",
                    "label": "GPT Image 2.6 Sunburst Edit (fal)",
                    "qualities": ["low", "medium", "high", "xhigh", "max", "auto"],
                    "complexities": ["low", "medium", "high"],
                    "markup": True,
                    "family": "gpt-image-2.6",
                    "prices": {"text_in": 5, "image_in": 8, "image_out": 30},
                }
            ],
            "default_models": {"fal": "openai/gpt-image-2.6/sunburst/edit"},
        },
    )
    user_catalog.apply(path)
    m = model_info("fal")
    assert m.id == "openai/gpt-image-2.6/sunburst/edit" and m.user_defined and m.supports_markup
    assert m.supports_mask and m.max_n == 4  # copied from the endpoint it is like
    assert Quality.MAX in m.qualities and m.label == "GPT Image 2.6 Sunburst Edit (fal)"
    est = estimate("fal", m.id, Size(1024, 1024), Quality.HIGH, 1)
    assert est.low == pytest.approx(7024 * 30 / 1e6) and "models.json" in est.basis


def test_an_entry_for_a_known_model_changes_only_what_it_names(tmp_path):
    before = model_info("replicate", "openai/gpt-image-2")
    user_catalog.apply(
        write(
            tmp_path,
            {
                "models": [
                    {
                        "provider": "replicate",
                        "id": "openai/gpt-image-2",
                        "max_n": 4,
                        "shutdown": "2027-03-01",
                        "replacement": "openai/gpt-image-2",
                    }
                ]
            },
        )
    )
    after = model_info("replicate", "openai/gpt-image-2", today=date(2027, 2, 1))
    assert after.max_n == 4 and after.sizes == before.sizes and after.label == before.label
    with pytest.raises(ModelRetired, match="retired by Replicate on 2027-03-01"):
        model_info("replicate", "openai/gpt-image-2", today=date(2027, 3, 1))


def test_settings_load_the_file_next_to_the_config(tmp_path, monkeypatch):
    monkeypatch.setenv("GPTEDIT_CONFIG", str(tmp_path / "config.json"))
    write(
        tmp_path,
        {
            "models": [
                {"provider": "openai", "id": "gpt-image-2.7-sunburst", "like": "gpt-image-2.6-sunburst"}
            ]
        },
    )
    resolve({"provider": "openai"}, env={}, config={})
    assert "gpt-image-2.7-sunburst" in PROVIDERS["openai"].model_ids()
    assert model_info("openai", "gpt-image-2.7-sunburst").family == "gpt-image-2.6"
    (tmp_path / "models.json").unlink()
    resolve({"provider": "openai"}, env={}, config={})
    assert "gpt-image-2.7-sunburst" not in PROVIDERS["openai"].model_ids()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("{not json", "cannot be read"),
        ([], "must be a JSON object"),
        ({"models": {}}, "must be a list"),
        ({"models": [{"provider": "midjourney", "id": "x"}]}, "model 1 (x): 'provider' must be one of"),
        ({"models": [{"provider": "openai", "id": "has space", "like": "gpt-image-2"}]}, "without spaces"),
        ({"models": [{"provider": "openai", "id": "new"}]}, "needs 'like'"),
        (
            {"models": [{"provider": "openai", "id": "new", "like": "gpt-image-9"}]},
            "'like' names 'gpt-image-9'",
        ),
        (
            {"models": [{"provider": "openai", "id": "new", "like": "gpt-image-2", "qualities": ["ultra"]}]},
            "'qualities' has 'ultra'; allowed: low, medium, high, xhigh, max, auto",
        ),
        (
            {"models": [{"provider": "openai", "id": "new", "like": "gpt-image-2", "max_n": 99}]},
            "from 1 to 10",
        ),
        (
            {"models": [{"provider": "openai", "id": "new", "like": "gpt-image-2", "markup": "yes"}]},
            "true or false",
        ),
        (
            {"models": [{"provider": "openai", "id": "new", "like": "gpt-image-2", "sizes": ["big"]}]},
            "1024x1536",
        ),
        (
            {"models": [{"provider": "openai", "id": "new", "like": "gpt-image-2", "shutdown": "soon"}]},
            "2027-01-31",
        ),
        (
            {
                "models": [
                    {"provider": "openai", "id": "new", "like": "gpt-image-2", "prices": {"text_in": 5}}
                ]
            },
            "'prices' must be",
        ),
        (
            {"models": [{"provider": "openai", "id": "new", "like": "gpt-image-2", "colour": "red"}]},
            "unknown field(s) colour",
        ),
        ({"models": [{"provider": "openai", "id": "new", "sizes": "custom"}]}, "'family' is needed"),
        (
            {"models": [{"provider": "openai", "id": "new", "like": "gpt-image-2", "replacement": "nope"}]},
            "'replacement' names 'nope'",
        ),
        ({"default_models": {"openai": "gpt-image-9"}}, "not in the catalog"),
    ],
)
def test_mistakes_are_named_with_the_fix(tmp_path, data, words):
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as e:
        user_catalog.apply(path)
    assert words in str(e.value) and str(path.name) in str(e.value)
    assert PROVIDERS["openai"].default_model == "gpt-image-2.6-sunburst"  # the catalog is left as shipped
