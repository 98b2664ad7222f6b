"""Settings are declared once (settings.FIELDS): the table drives resolution, the config file, `config show`,
the command line's flags and the per-edit options the plugins accept."""

from __future__ import annotations

import subprocess
import sys

import pytest
from gptedit.catalog import PROVIDERS
from gptedit.cli import build_parser
from gptedit.cli_common import flags
from gptedit.engine import provider_options
from gptedit.errors import BadInput, ConfigError
from gptedit.settings import (
    FIELD,
    FIELDS,
    KEY_ENV,
    PER_PROVIDER,
    Settings,
    load_config,
    public_view,
    resolve,
    set_config_value,
)


def test_every_setting_is_one_row_of_the_table():
    names = [f.name for f in FIELDS]
    assert len(names) == len(set(names))
    assert set(names) == set(Settings.__dataclass_fields__) - {"sources"}
    s = resolve({}, env={}, config={})
    for f in FIELDS:
        assert f.name in s.sources  # every row took part in resolution


def test_key_variables_come_from_the_catalog():
    assert KEY_ENV == {name: info.key_env for name, info in PROVIDERS.items()}
    for name, info in PROVIDERS.items():
        assert FIELD["api_key"].env_for(name) == info.key_env
    s = resolve({"provider": "fal"}, env={"FAL_KEY": "k-from-env"}, config={})
    assert s.api_key == "k-from-env" and s.sources["api_key"] == "env"


@pytest.mark.parametrize("f", [f for f in FIELDS if f.env], ids=lambda f: f.name)
def test_each_environment_variable_in_the_table_is_read(f):
    value = {
        "provider": "fal",
        "quality": "high",
        "size": "1024x1536",
        "n": "3",
        "output_format": "webp",
        "background": "opaque",
        "deadline": "12.5",
        "stream": "0",
        "model": "x-model",
        "complexity": "low",
        "seam_align": "0",
        "seam_colour": "false",
        "seam_blend": "no",
        "seam_sharpen": "off",
        "seam_feather": "3.5",
        "text_model": "gpt-5-mini",
    }[f.name]
    s = resolve({}, env={f.env: value}, config={})
    assert s.sources[f.name] == "env"


@pytest.mark.parametrize(
    "f", [f for f in FIELDS if f.section != PER_PROVIDER and f.name != "provider"], ids=lambda f: f.name
)
def test_config_set_puts_each_default_where_resolution_reads_it(f):
    value = {
        "quality": "low",
        "size": "1024x1024",
        "n": 2,
        "output_format": "jpeg",
        "background": "opaque",
        "deadline": 60.0,
        "padding": 0.0,
        "max_send_side": 1024,
        "stream": False,
        "wait": 1,
        "complexity": "high",
        "seam_align": False,
        "seam_colour": False,
        "seam_blend": False,
        "seam_sharpen": False,
        "seam_feather": 4.0,
        "text_model": "gpt-4.1",
    }[f.name]
    set_config_value(f.name, value)
    s = resolve({}, env={})
    got = getattr(s, f.name)
    assert (got.value if hasattr(got, "value") else got) == value and s.sources[f.name] == "config"


def test_config_set_refuses_unknown_names_bad_values_and_provider_fields_without_a_provider():
    with pytest.raises(BadInput, match="no setting 'colour'"):
        set_config_value("colour", "blue")
    with pytest.raises(BadInput, match="belongs to one provider"):
        set_config_value("base_url", "http://x")
    with pytest.raises(ConfigError, match="not a valid quality"):
        set_config_value("quality", "ultra")
    assert load_config() == {}  # nothing was written


def test_public_view_follows_the_table_and_masks_secrets():
    view = public_view(resolve({"provider": "openai"}, env={"OPENAI_API_KEY": "sk-abcdefghijkl"}, config={}))
    assert list(view) == [f.name for f in FIELDS]
    assert view["api_key"] == "…ijkl"


def test_command_line_flags_are_the_table_rows_with_a_flag():
    args = build_parser().parse_args(
        [
            "edit",
            "in.png",
            "-p",
            "x",
            "-o",
            "o.png",
            "--quality",
            "high",
            "-n",
            "2",
            "--format",
            "webp",
            "--deadline",
            "5",
            "--no-stream",
        ]
    )
    got = flags(args)
    assert set(got) == {f.name for f in FIELDS if f.flag}
    assert (got["quality"], got["n"], got["output_format"], got["deadline"], got["stream"]) == (
        "high",
        2,
        "webp",
        5.0,
        False,
    )
    assert resolve(got, env={}, config={}).stream is False


def test_config_show_lists_every_field_with_its_source():
    out = subprocess.run(
        [sys.executable, "-m", "gptedit", "config", "show"], capture_output=True, text=True, timeout=60
    ).stdout
    shown = [line.split(":")[0].strip() for line in out.splitlines()]
    assert shown == [f.name for f in FIELDS]


def test_the_plugins_per_edit_options_are_the_table_rows():
    per_edit = {f.name for f in FIELDS if f.per_edit}
    assert "api_key" not in per_edit and {"provider", "model", "quality", "size", "n"} <= per_edit


def test_the_responses_text_model_is_a_setting_checked_before_it_is_saved():
    assert resolve({}, env={}, config={}).text_model == "gpt-4.1-mini"  # the default, unchanged
    s = resolve({"provider": "openai-responses", "text_model": "gpt-5-mini"}, env={}, config={})
    assert s.text_model == "gpt-5-mini" and s.sources["text_model"] == "flag"
    assert provider_options(s) == {"mainline_model": "gpt-5-mini"}
    for bad, said in (("", "not a model id"), ("gpt 5", "not a model id"), ("gpt-image-2", "makes images")):
        with pytest.raises(ConfigError, match=said):
            set_config_value("text_model", bad)
    with pytest.raises(ConfigError, match="makes images"):
        resolve({}, env={"GPTEDIT_TEXT_MODEL": "gpt-image-2"}, config={})
    assert load_config() == {}  # nothing was written
