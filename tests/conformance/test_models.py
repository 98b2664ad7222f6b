"""The current GPT Image models end to end against the sandbox: markup edits land where they were drawn,
the new tiers reach the wire, a shut-down model is refused by the client before the service is asked (the
service itself would say the model does not exist), and the key's model list narrows what is offered."""

from __future__ import annotations

import io

import pytest
from conformance_helpers import Recorder, decoded, edit, picture, settings_for
from gptedit import model_access
from gptedit.engine import preflight
from gptedit.errors import ModelRetired
from gptedit.ledger import Ledger
from gptedit.models import Complexity, ImageInput, JobState, Quality
from gptedit.retirement import TODAY_ENV
from PIL import Image


def overlay(width: int, height: int) -> ImageInput:
    """A transparent layer with one green stroke across rows 20-23 from x=10 to x=59."""
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    for y in range(20, 24):
        for x in range(10, 60):
            img.putpixel((x, y), (0, 255, 0, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return ImageInput(buf.getvalue(), "image/png", width, height, "markup.png")


def test_a_markup_edit_paints_the_drawn_strokes_and_keeps_the_rest(sandbox):
    src, image = picture(96, 64)
    job, _, _ = edit(
        sandbox,
        "openai",
        "[identity] put a hedge along the green line",
        image=image,
        settings_flags={"model": "gpt-image-2.6-sunburst"},
        markup=overlay(96, 64),
        complexity=Complexity.LOW,
        quality=Quality.XHIGH,
    )
    assert job.state is JobState.FETCHED, job.error
    out = decoded(job.results[0])
    assert out.size == (96, 64)
    assert out.getpixel((10, 20)) == out.getpixel((59, 23)) == (0, 255, 0, 255)
    assert out.getpixel((9, 20)) == src.getpixel((9, 20)) and out.getpixel((30, 24)) == src.getpixel((30, 24))
    request = sandbox.stats()["jobs"][-1]["request"]
    assert request["complexity"] == "low" and request["params"]["quality"] == "xhigh"
    assert job.request["markup"] is True and job.request["complexity"] == "low"


@pytest.mark.parametrize(
    ("provider", "model", "replacement"),
    [
        ("openai", "gpt-image-1.5", "gpt-image-2.6-sunburst"),
        ("eachlabs", "gpt-image-v1-5-edit", "gpt-image-v2-edit"),
        ("replicate", "openai/gpt-image-1.5", "openai/gpt-image-2"),
    ],
)
def test_a_shut_down_model_is_refused_before_anything_is_sent(
    sandbox, monkeypatch, provider, model, replacement
):
    monkeypatch.setenv(TODAY_ENV, "2026-12-01")
    sandbox.configure(today="2026-12-01")
    before = sandbox.stats()[provider]["creates"]
    job, rec, ledger = None, Recorder(), Ledger()
    with pytest.raises(ModelRetired, match=f"{model} was retired .* on 2026-12-01; use {replacement}"):
        job, rec, ledger = edit(sandbox, provider, settings_flags={"model": model})
    assert sandbox.stats()[provider]["creates"] == before
    assert not [j for j in Ledger().list() if j.model == model]  # not even written to the ledger


def test_without_the_clients_check_the_service_would_say_the_model_does_not_exist(sandbox, monkeypatch):
    """The same day, with the client believing it is still November: the sandbox answers like OpenAI."""
    monkeypatch.setenv(TODAY_ENV, "2026-11-30")
    sandbox.configure(today="2026-12-01")
    job, _, _ = edit(sandbox, "openai", settings_flags={"model": "gpt-image-1.5"})
    assert job.state is JobState.FAILED and "does not exist" in job.error


def test_the_keys_model_list_is_cached_and_narrows_the_offer(sandbox, monkeypatch):
    monkeypatch.setenv(TODAY_ENV, "2026-11-30")
    settings = settings_for(sandbox, "openai")
    assert "gpt-image-1.5" in [m.id for m in model_access.usable_models(settings)]  # nothing cached yet
    sandbox.configure(today="2026-12-01")  # the service has dropped 1.5 before our date says so
    access = model_access.refresh(settings)
    assert "gpt-image-2.6-sunburst" in access.ids and "gpt-image-1.5" not in access.ids
    assert model_access.cache_path().exists() and "test-key-123" not in model_access.cache_path().read_text()
    usable = [m.id for m in model_access.usable_models(settings)]
    assert usable[:2] == ["gpt-image-2.6-sunburst", "gpt-image-2.6-flare"] and "gpt-image-1.5" not in usable
    assert "does not include gpt-image-1.5" in model_access.access_note(settings, "gpt-image-1.5")
    # other providers have no list: everything current is offered
    assert model_access.refresh(settings_for(sandbox, "fal")) is None


def test_complexity_is_refused_for_a_model_without_it_before_sending(sandbox):
    settings = settings_for(sandbox, "openai", model="gpt-image-2")
    from conformance_helpers import request_for

    request = request_for(settings, "x", picture()[1], complexity=Complexity.HIGH)
    with pytest.raises(Exception, match="no complexity setting"):
        preflight(settings, request)
