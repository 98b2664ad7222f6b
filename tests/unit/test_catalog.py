"""The catalog names every provider and model the settings offer, with conservative capabilities."""

from __future__ import annotations

import pytest
from gptedit.catalog import PROVIDERS, model_info, provider_info
from gptedit.errors import BadInput
from gptedit.models import Background, Size
from gptedit.sizes import FIXED, GPT_IMAGE_2


def test_the_four_providers_with_their_documented_bases_and_key_variables():
    expected = {
        "eachlabs": ("https://api.eachlabs.ai", "EACHLABS_API_KEY", "Bearer", "gpt-image-v2-edit"),
        "openai": ("https://api.openai.com/v1", "OPENAI_API_KEY", "Bearer", "gpt-image-2"),
        "replicate": ("https://api.replicate.com", "REPLICATE_API_TOKEN", "Bearer", "openai/gpt-image-2"),
        "fal": ("https://queue.fal.run", "FAL_KEY", "Key", "openai/gpt-image-2/edit"),
    }
    assert set(PROVIDERS) == set(expected)
    for name, (base, env, auth, default) in expected.items():
        p = PROVIDERS[name]
        assert (p.default_base_url, p.key_env, p.auth, p.default_model) == (base, env, auth, default)
        assert default in p.model_ids()
        assert all(m.provider == name for m in p.models)


def test_model_lists():
    assert PROVIDERS["eachlabs"].model_ids() == ["gpt-image-v2-edit", "gpt-image-v1-5-edit"]
    assert PROVIDERS["openai"].model_ids() == ["gpt-image-2", "gpt-image-1.5", "gpt-image-1", "gpt-image-1-mini"]
    assert PROVIDERS["replicate"].model_ids() == ["openai/gpt-image-2", "openai/gpt-image-1.5"]
    assert PROVIDERS["fal"].model_ids() == ["openai/gpt-image-2/edit"]


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
    assert not model_info("openai", "gpt-image-1").sizes.accepts(Size(2048, 1152))


def test_cancel_and_stream_flags():
    assert [n for n, p in PROVIDERS.items() if p.can_cancel] == ["eachlabs", "replicate", "fal"]
    assert [n for n, p in PROVIDERS.items() if p.can_stream] == ["openai"]
    assert model_info("openai", "gpt-image-1.5").supports_stream


def test_default_model_when_none_given():
    assert model_info("eachlabs").id == "gpt-image-v2-edit"
    assert model_info("openai", "").id == "gpt-image-2"


def test_unknown_model_names_the_choices():
    with pytest.raises(BadInput) as e:
        model_info("replicate", "openai/gpt-image-3")
    assert "openai/gpt-image-2" in str(e.value) and "openai/gpt-image-1.5" in str(e.value)


def test_unknown_provider_names_the_choices():
    with pytest.raises(BadInput, match="eachlabs, openai, replicate, fal"):
        provider_info("midjourney")
    with pytest.raises(BadInput):
        model_info("midjourney", "x")
