"""`config test`: free requests that check the key and base URL of every provider and say what works in
words, never a traceback and never a paid request."""

from __future__ import annotations

import json

import pytest
from conformance_helpers import PROVIDERS
from gptedit.connection import check_connection
from gptedit.settings import KEY_ENV, resolve
from test_cli import gptedit

ALL = (*PROVIDERS, "sandbox")


def settings(sandbox, provider: str, **flags):
    base = sandbox.base_urls["eachlabs" if provider == "sandbox" else provider]
    return resolve(
        {"provider": provider, "base_url": base, "api_key": "test-key-123", **flags}, env={}, config={}
    )


def paid(sandbox) -> int:
    stats = sandbox.stats()
    return sum(stats[p]["creates"] for p in ("eachlabs", "openai", "openai-responses", "replicate", "fal"))


@pytest.mark.parametrize("provider", ALL)
def test_a_good_key_is_accepted_and_the_models_are_named(sandbox, provider):
    report = check_connection(settings(sandbox, provider))
    text = report.text()
    assert report.ok, text
    assert "Key accepted" in text
    assert paid(sandbox) == 0  # look-ups only, nothing created
    assert "test-key-123" not in text


@pytest.mark.parametrize("provider", ALL)
def test_a_wrong_key_is_refused_in_words(sandbox, provider):
    report = check_connection(settings(sandbox, provider, api_key="invalid"))
    assert not report.ok
    text = report.text()
    assert "Key refused" in text and KEY_ENV.get(provider, "EACHLABS_API_KEY") in text
    assert "Traceback" not in text and paid(sandbox) == 0


@pytest.mark.parametrize("provider", ["replicate", "eachlabs"])
def test_published_input_schemas_are_fetched(sandbox, provider):
    text = check_connection(settings(sandbox, provider)).text()
    assert "input schema fetched" in text and "prompt" in text, text


def test_openai_names_the_models_the_key_can_use_and_the_responses_text_model(sandbox):
    text = check_connection(settings(sandbox, "openai")).text()
    assert "Models the key can use:" in text and "gpt-image-2" in text
    text = check_connection(settings(sandbox, "openai-responses")).text()
    assert "the text model that calls the image tool, is available" in text


def test_an_unreachable_base_url_and_a_missing_key_are_sentences():
    gone = resolve({"provider": "fal", "base_url": "http://127.0.0.1:9", "api_key": "k"}, env={}, config={})
    report = check_connection(gone)
    assert not report.ok and "Could not reach http://127.0.0.1:9" in report.text()
    nokey = resolve({"provider": "replicate"}, env={}, config={})
    report = check_connection(nokey)
    assert not report.ok and "REPLICATE_API_TOKEN" in report.text()


@pytest.mark.parametrize("provider", ALL)
def test_the_command_line_says_what_works(sandbox, provider):
    proc = gptedit("config", "test", "--provider", provider, "--sandbox", check=0)
    assert "Key accepted" in proc.stdout and "Traceback" not in proc.stdout + proc.stderr


def test_the_command_line_json_and_exit_code_for_a_refused_key(sandbox):
    proc = gptedit(
        "config",
        "test",
        "--provider",
        "openai",
        "--base-url",
        sandbox.base_urls["openai"],
        "--json",
        env_extra={"OPENAI_API_KEY": "invalid"},
        check=3,
    )
    report = json.loads(proc.stdout)
    assert report["ok"] is False and report["provider"] == "openai"
    assert any("Key refused" in f["text"] for f in report["findings"])
    assert "Traceback" not in proc.stderr
