import json
import os
import stat

import pytest
from gptedit.errors import ConfigError
from gptedit.models import OutputFormat, Quality
from gptedit.paths import config_path
from gptedit.settings import (
    load_config,
    mask_key,
    public_view,
    require_key,
    resolve,
    save_config,
    set_config_value,
)


def test_defaults_are_the_offline_sandbox():
    s = resolve({})
    assert s.provider == "sandbox"
    assert s.protocol == "eachlabs"
    assert s.base_url.startswith("http://127.0.0.1")
    assert s.quality is Quality.MEDIUM and s.size == "auto" and s.n == 1
    assert s.sources["provider"] == "default"


def test_order_flags_then_env_then_config_then_default(monkeypatch):
    config = {
        "provider": "openai",
        "defaults": {"quality": "low", "n": 2},
        "providers": {"openai": {"api_key": "from-config", "model": "gpt-image-1"}},
    }
    s = resolve({}, env={}, config=config)
    assert (s.provider, s.api_key, s.model, s.quality, s.n) == (
        "openai",
        "from-config",
        "gpt-image-1",
        Quality.LOW,
        2,
    )
    assert s.sources["api_key"] == "config"
    env = {
        "OPENAI_API_KEY": "from-env",
        "GPTEDIT_MODEL": "gpt-image-2",
        "GPTEDIT_OPENAI_BASE_URL": "https://gw.example/v1",
    }
    s = resolve({}, env=env, config=config)
    assert (s.api_key, s.model, s.base_url) == ("from-env", "gpt-image-2", "https://gw.example/v1")
    assert s.sources["api_key"] == "env"
    s = resolve({"model": "gpt-image-1.5", "quality": "high", "n": None}, env=env, config=config)
    assert s.model == "gpt-image-1.5" and s.quality is Quality.HIGH and s.n == 2
    assert s.sources["model"] == "flag" and s.sources["n"] == "config"


def test_provider_from_environment_picks_its_key_and_documented_base():
    s = resolve({}, env={"GPTEDIT_PROVIDER": "fal", "FAL_KEY": "k"}, config={})
    assert s.provider == "fal" and s.api_key == "k"
    assert s.base_url == "https://queue.fal.run"


def test_bad_values_get_messages_naming_the_choices():
    with pytest.raises(ConfigError, match="eachlabs"):
        resolve({"provider": "midjourney"}, env={}, config={})
    with pytest.raises(ConfigError, match="low, medium, high, xhigh, max, auto"):
        resolve({"quality": "ultra"}, env={}, config={})
    with pytest.raises(ConfigError, match="whole number"):
        resolve({"n": "two"}, env={}, config={})


def test_missing_key_message_names_the_variable():
    s = resolve({"provider": "replicate"}, env={}, config={})
    with pytest.raises(ConfigError, match="REPLICATE_API_TOKEN"):
        require_key(s)


def test_config_file_is_written_owner_only_and_round_trips():
    path = set_config_value("api_key", "sk-secret-123456", provider="openai")
    assert path == config_path()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    set_config_value("quality", "high")
    data = load_config()
    assert data["providers"]["openai"]["api_key"] == "sk-secret-123456"
    assert data["defaults"]["quality"] == "high"
    set_config_value("quality", None)
    assert "quality" not in load_config()["defaults"]


def test_a_world_readable_config_is_tightened_on_read():
    path = save_config({"provider": "openai"})
    os.chmod(path, 0o644)
    load_config()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_broken_config_file_gets_a_clear_message():
    config_path().write_text("{not json")
    with pytest.raises(ConfigError, match="cannot be read"):
        resolve({})


def test_public_view_never_shows_the_key():
    s = resolve({"provider": "openai", "api_key": "sk-abcdefghijklmnop"}, env={}, config={})
    view = public_view(s)
    assert "sk-abcdefghijklmnop" not in json.dumps(view)
    assert view["api_key"] == "…mnop"
    assert mask_key("") == "(not set)"
    assert "sk-abcdefghijklmnop" not in repr(s)


def test_format_enum():
    s = resolve({"output_format": "WEBP"}, env={}, config={})
    assert s.output_format is OutputFormat.WEBP
