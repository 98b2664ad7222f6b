"""The catalog names every provider and model the settings offer, with conservative capabilities."""

from __future__ import annotations

from datetime import date

import pytest
from gptedit.catalog import PROVIDERS, model_info, provider_info
from gptedit.errors import BadInput
from gptedit.models import Background, Size
from gptedit.sizes import FIXED, GPT_IMAGE_2

_BEFORE = date(2026, 11, 29)  # gpt-image-1.5 still served
_AFTER = date(2026, 12, 1)  # the day gpt-image-1.5, -1-mini and chatgpt-image-latest shut down


def test_the_four_providers_with_their_documented_bases_and_key_variables():
    expected = {
        "eachlabs": ("https://api.eachlabs.ai", "EACHLABS_API_KEY", "Bearer", "gpt-image-v2-edit"),
        "openai": ("https://api.openai.com/v1", "OPENAI_API_KEY", "Bearer", "gpt-image-2.6-sunburst"),
        # OpenAI's second route (Responses API, background mode): same host, key and models
        "openai-responses": (
            "https://api.openai.com/v1",
            "OPENAI_API_KEY",
            "Bearer",
            "gpt-image-2.6-sunburst",
        ),
        "replicate": ("https://api.replicate.com", "REPLICATE_API_TOKEN", "Bearer", "openai/gpt-image-2"),
        "fal": ("https://queue.fal.run", "FAL_KEY", "Key", "openai/gpt-image-2/edit"),
    }
    assert set(PROVIDERS) == set(expected)
    for name, (base, env, auth, default) in expected.items():
        p = PROVIDERS[name]
        assert (p.default_base_url, p.key_env, p.auth, p.default_model) == (base, env, auth, default)
        assert default in p.model_ids()
        assert all(m.provider == name for m in p.models)


def test_model_lists_hold_current_and_retired_models():
    assert PROVIDERS["eachlabs"].model_ids() == ["gpt-image-v2-edit", "gpt-image-v1-5-edit"]
    assert PROVIDERS["openai"].model_ids() == [
        "gpt-image-2.6-sunburst",
        "gpt-image-2.6-flare",
        "gpt-image-2.5-sunburst",
        "gpt-image-2.5-flare",
        "gpt-image-2.5-sunburst-2026-09-08",
        "gpt-image-2.5-flare-2026-09-08",
        "gpt-image-2",
        "gpt-image-2-2026-04-21",
        "gpt-image-1.5",
        "chatgpt-image-latest",
        "gpt-image-1-mini",
        "gpt-image-1",
    ]
    assert PROVIDERS["replicate"].model_ids() == [
        "openai/gpt-image-2",
        "openai/gpt-image-1.5",
        "openai/gpt-image-1",
        "openai/gpt-image-1-mini",
    ]
    assert PROVIDERS["fal"].model_ids() == [
        "openai/gpt-image-2/edit",
        "openai/gpt-image-2.5/flare/edit",
        "fal-ai/gpt-image-1.5/edit",
        "fal-ai/gpt-image-1/edit-image",
    ]


def test_every_model_names_its_family_and_every_retirement_a_current_replacement():
    for p in PROVIDERS.values():
        for m in p.models:
            assert m.family, m.id
            if m.shutdown is not None:
                replacement = p.find(m.replacement)
                assert replacement is not None and replacement.shutdown is None, m.id
                assert m.shutdown_source.startswith("https://")


def test_the_gpt_image_2_6_models_have_every_documented_control():
    from gptedit.models import Complexity, Quality

    for mid in ("gpt-image-2.6-sunburst", "gpt-image-2.6-flare"):
        m = model_info("openai", mid)
        assert m.qualities == (
            Quality.LOW,
            Quality.MEDIUM,
            Quality.HIGH,
            Quality.XHIGH,
            Quality.MAX,
            Quality.AUTO,
        )
        assert m.complexities == (Complexity.LOW, Complexity.MEDIUM, Complexity.HIGH)
        assert m.supports_markup and m.supports_mask and m.max_n == 10
        assert Background.TRANSPARENT in m.backgrounds
        assert m.sizes.accepts(Size(3840, 2160)) and not m.sizes.accepts(Size(4096, 2160))
    m25 = model_info("openai", "gpt-image-2.5-flare")
    assert Quality.MAX in m25.qualities and not m25.complexities and not m25.supports_markup
    m2 = model_info("openai", "gpt-image-2")
    assert Quality.XHIGH not in m2.qualities and not m2.complexities and not m2.mask_with_references
    # no other provider lists markup or complexity yet (OpenAI's Responses route has complexity, not markup)
    assert not [
        m.id
        for n, p in PROVIDERS.items()
        if n not in ("openai", "openai-responses")
        for m in p.models
        if m.supports_markup or m.complexities
    ]
    assert not [m.id for m in PROVIDERS["openai-responses"].models if m.supports_markup]


def test_the_responses_route_offers_openais_models_one_image_at_a_time_with_masks():
    images, responses = PROVIDERS["openai"], PROVIDERS["openai-responses"]
    assert responses.model_ids() == images.model_ids()
    assert responses.can_cancel and not images.can_cancel
    for model in responses.models:
        assert model.max_n == 1 and model.supports_mask and not model.supports_stream
        assert model.sizes == PROVIDERS["openai"].find(model.id).sizes


def test_auth_header_uses_the_provider_scheme():
    assert PROVIDERS["fal"].auth_header("abc") == {"Authorization": "Key abc"}
    assert PROVIDERS["openai"].auth_header("abc") == {"Authorization": "Bearer abc"}


def test_capabilities_are_conservative_where_unconfirmed():
    assert not model_info("replicate", "openai/gpt-image-2").supports_mask
    assert model_info("replicate", "openai/gpt-image-2").max_n == 1
    assert Background.TRANSPARENT not in model_info("replicate", "openai/gpt-image-2").backgrounds
    assert not model_info("eachlabs", "gpt-image-v2-edit").supports_mask
    assert model_info("eachlabs", "gpt-image-v2-edit").sizes == FIXED
    assert model_info("fal").supports_mask
    assert model_info("openai", "gpt-image-2").supports_mask
    # custom sizes only where the API takes width and height
    assert model_info("openai", "gpt-image-2").sizes == GPT_IMAGE_2
    assert model_info("fal").sizes.accepts(Size(2048, 1152))
    assert not model_info("replicate", "openai/gpt-image-2").sizes.accepts(Size(2048, 1152))
    assert not model_info("openai", "gpt-image-1.5", today=_BEFORE).sizes.accepts(Size(2048, 1152))


def test_cancel_and_stream_flags():
    assert [n for n, p in PROVIDERS.items() if p.can_cancel] == [
        "eachlabs",
        "openai-responses",
        "replicate",
        "fal",
    ]
    assert [n for n, p in PROVIDERS.items() if p.can_stream] == ["openai"]
    assert model_info("openai", "gpt-image-1.5", today=_BEFORE).supports_stream
    assert model_info("openai", "gpt-image-2.6-flare").supports_stream
    assert not model_info("openai", "gpt-image-2").supports_stream


def test_default_model_when_none_given():
    assert model_info("eachlabs").id == "gpt-image-v2-edit"
    assert model_info("openai", "").id == "gpt-image-2.6-sunburst"


def test_unknown_model_names_the_current_choices_only():
    with pytest.raises(BadInput) as e:
        model_info("replicate", "openai/gpt-image-3", today=_AFTER)
    assert "openai/gpt-image-2" in str(e.value) and "openai/gpt-image-1.5" not in str(e.value)


def test_unknown_provider_names_the_choices():
    with pytest.raises(BadInput, match="eachlabs, openai, openai-responses, replicate, fal"):
        provider_info("midjourney")
    with pytest.raises(BadInput):
        model_info("midjourney", "x")
