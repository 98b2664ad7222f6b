"""The one edit recipe: settings + pictures → plan, request, checks, price, the same for every front end."""

from __future__ import annotations

from pathlib import Path

import pytest
from gptedit import recipe
from gptedit.errors import BadInput, Unsupported
from gptedit.geometry import Box
from gptedit.models import ImageInput, Quality, Size
from gptedit.pngio import encode_png
from gptedit.pricing import estimate
from gptedit.settings import resolve

ROOT = Path(__file__).resolve().parents[2]
CODE = [ROOT / "shared" / "gptedit", ROOT / "krita_plugin" / "gptedit_krita", ROOT / "gimp_plugin"]


def png(w: int = 16, h: int = 16) -> ImageInput:
    return ImageInput(encode_png(w, h, bytes(w * h * 4), 4), "image/png", w, h, "image.png")


def settings(**flags):
    return resolve(flags, env={}, config={})


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t", None])
def test_an_empty_prompt_is_refused_with_one_wording(prompt):
    with pytest.raises(BadInput) as err:
        recipe.clean_prompt(prompt)
    assert str(err.value) == recipe.EMPTY_PROMPT
    with pytest.raises(BadInput, match="prompt is empty"):
        recipe.build_request(settings(), prompt, [png()])


def test_the_empty_prompt_rule_lives_only_in_the_recipe():
    homes = sorted(
        str(p.relative_to(ROOT))
        for folder in CODE
        for p in folder.rglob("*.py")
        if "vendor" not in p.parts
        and "sandbox" not in p.parts
        and "prompt is empty" in p.read_text(encoding="utf-8")
    )
    assert homes == ["shared/gptedit/recipe.py"]


def test_request_takes_every_option_from_settings_and_strips_the_prompt():
    s = settings(
        provider="openai",
        model="gpt-image-1.5",
        quality="high",
        size="1024x1536",
        n=3,
        output_format="webp",
        background="opaque",
    )
    req = recipe.build_request(s, "  make it blue \n", [png()])
    assert req.prompt == "make it blue" and req.model == "gpt-image-1.5" and req.quality is Quality.HIGH
    assert req.size == Size(1024, 1536) and req.n == 3 and req.output_format.value == "webp"
    assert req.background.value == "opaque" and req.mask is None
    # a host passes the plan's request size, which wins over the settings' text
    assert recipe.build_request(s, "x", [png()], size=None).size == Size(1024, 1536)
    assert recipe.build_request(s, "x", [png()], size=Size(1024, 1024)).size == Size(1024, 1024)


def test_what_to_send_follows_the_catalog():
    assert recipe.what_to_send(settings(provider="openai", model="gpt-image-1.5")).mask is True
    each = recipe.what_to_send(settings(provider="eachlabs"))
    assert each.mask is False and each.references >= 1


def test_padding_zero_means_just_the_selection_for_every_host():
    sel = Box(40, 40, 20, 20)
    tight = recipe.plan_for(
        settings(provider="openai", model="gpt-image-2", size="1024x1024", padding=0), 400, 400, sel
    )
    assert tight.context == sel
    padded = recipe.plan_for(
        settings(provider="openai", model="gpt-image-2", size="1024x1024", padding=0.01), 400, 400, sel
    )
    # any padding at all keeps at least the minimum margin
    assert padded.context.contains(sel.padded(recipe.MIN_PADDING))


def test_one_check_for_every_front_end_and_provider():
    s = settings(provider="replicate", model="openai/gpt-image-2", n=5)
    req = recipe.build_request(s, "x", [png()])
    with pytest.raises(Unsupported) as err:
        recipe.check(s, req)
    # the same words the providers' own check gives (they call the recipe)
    assert "1 to 1" in str(err.value) and "at most 1 result" in str(err.value)
    s0 = settings(provider="openai", model="gpt-image-2")
    big = ImageInput(b"\x89PNG" + bytes(recipe.MAX_INPUT_BYTES), "image/png", 16, 16)
    with pytest.raises(BadInput, match="limit is 50 MB"):
        recipe.check(s0, recipe.build_request(s0, "x", [big]))


def test_quote_of_a_plan_and_of_its_request_agree():
    s = settings(provider="openai", model="gpt-image-2", size="1024x1024", quality="low", n=2)
    plan = recipe.plan_for(s, 300, 200, Box(10, 10, 50, 50))
    send = plan.send_size
    req = recipe.build_request(s, "abcdefgh", [png(send.width, send.height)], size=plan.request_size)
    assert recipe.quote(s, plan, 8) == recipe.quote_request(s, req)
    assert recipe.quote(s, plan, 8) == estimate(
        "openai", "gpt-image-2", Size(1024, 1024), "low", 2, input_images=[send], prompt_chars=8
    )


def test_quote_for_auto_uses_the_size_the_provider_will_most_likely_pick():
    s = settings(provider="openai", model="gpt-image-1.5", size="auto", quality="medium")
    plan = recipe.plan_for(s, 1500, 1000, None)
    assert plan.request_size is None and plan.suggested_size == Size(1536, 1024)
    est = recipe.quote(s, plan)
    assert est.low == est.high  # one expected size: a figure, not a range
    # without a document there is no plan: the settings' size alone (auto = a range over the sizes)
    no_doc = recipe.quote(s)
    assert no_doc.low < no_doc.high
