"""Cost before and after a run: the published token tables, each provider's rates, and ordered ranges."""

from __future__ import annotations

import itertools

import pytest
from gptedit.errors import BadInput
from gptedit.models import Quality, Size, Usage
from gptedit.pricing import (
    actual,
    estimate,
    gpt_image_2_output_tokens,
    model_family,
    output_tokens,
)

LOW, MEDIUM, HIGH, AUTO = Quality.LOW, Quality.MEDIUM, Quality.HIGH, Quality.AUTO

# docs/providers.md "Pricing": the community formula's table, plus the points published elsewhere [O5][O4]
GPT_IMAGE_2_TABLE = [
    ("1024x1024", 196, 1756, 7024),
    ("1536x1024", 158, 1372, 5488),
    ("1024x1536", 158, 1372, 5488),
    ("2048x2048", 397, 3568, 14272),
    ("2048x1152", 157, 1413, 5650),
    ("1152x2048", 157, 1413, 5650),
    ("3840x2160", 371, 3336, 13342),
    ("2160x3840", 371, 3336, 13342),
]


@pytest.mark.parametrize(("size", "low", "medium", "high"), GPT_IMAGE_2_TABLE)
def test_gpt_image_2_output_tokens_reproduce_the_published_table(size, low, medium, high):
    s = Size.parse(size)
    assert [gpt_image_2_output_tokens(s.width, s.height, q) for q in (LOW, MEDIUM, HIGH)] == [
        low,
        medium,
        high,
    ]


def test_gpt_image_2_other_published_points():
    assert gpt_image_2_output_tokens(1792, 1024, HIGH) == 5063  # [O5]
    assert gpt_image_2_output_tokens(960, 720, "low") == 130  # [O4]
    with pytest.raises(BadInput):
        gpt_image_2_output_tokens(1024, 1024, AUTO)


@pytest.mark.parametrize(
    "model", ["gpt-image-1", "gpt-image-1.5", "openai/gpt-image-1.5", "gpt-image-v1-5-edit"]
)
def test_fixed_token_table_for_gpt_image_1_and_1_5(model):
    assert [output_tokens(model, Size(1024, 1024), q) for q in (LOW, MEDIUM, HIGH)] == [272, 1056, 4160]
    assert [output_tokens(model, Size(1024, 1536), q) for q in (LOW, MEDIUM, HIGH)] == [408, 1584, 6240]
    assert [output_tokens(model, Size(1536, 1024), q) for q in (LOW, MEDIUM, HIGH)] == [400, 1568, 6208]


def test_gpt_image_1_table_matches_openais_per_image_prices():
    # OpenAI's gpt-image-1 page lists 0.011/0.042/0.167 (square) and 0.016/0.063/0.25 (portrait/landscape)
    listed = {Size(1024, 1024): (0.011, 0.042, 0.167), Size(1024, 1536): (0.016, 0.063, 0.25)}
    for size, prices in listed.items():
        for q, price in zip((LOW, MEDIUM, HIGH), prices, strict=True):
            assert estimate("openai", "gpt-image-1", size, q, 1).low == pytest.approx(
                price, abs=0.001
            )  # listed to 3 decimals


def test_gpt_image_1_mini_uses_openais_listed_per_image_prices():
    assert estimate("openai", "gpt-image-1-mini", Size(1024, 1024), HIGH, 1).low == 0.036
    assert estimate("openai", "gpt-image-1-mini", Size(1536, 1024), LOW, 2).high == 0.012


def test_openai_gpt_image_2_exact_price_for_a_known_size_and_quality():
    est = estimate("openai", "gpt-image-2", Size(1024, 1024), HIGH, 1)
    assert est.low == est.high == pytest.approx(7024 * 30 / 1e6)
    assert est.text() == "$0.211"  # the "high @ $30/M" column of docs/providers.md "Pricing"
    assert estimate("openai", "gpt-image-2", Size(2048, 2048), HIGH, 1).text() == "$0.428"


def test_each_labs_v2_bills_input_images_at_its_own_rate():
    est = estimate(
        "eachlabs",
        "gpt-image-v2-edit",
        Size(1024, 1024),
        MEDIUM,
        1,
        input_images=[Size(1024, 1024)],
        prompt_chars=40,
    )
    # 10 prompt tokens × $5 + 768 image tokens × $10 + 1756 output tokens × $30, per 1M
    assert est.low == est.high == pytest.approx((10 * 5 + 768 * 10 + 1756 * 30) / 1e6)
    assert "each::labs" in est.basis and "approximate" in est.basis
    openai = estimate(
        "openai", "gpt-image-2", Size(1024, 1024), MEDIUM, 1, input_images=[Size(1024, 1024)], prompt_chars=40
    )
    assert openai.low == pytest.approx((10 * 5 + 768 * 8 + 1756 * 30) / 1e6)


def test_fal_quotes_openai_prices_and_replicate_is_labelled_approximate():
    args = (Size(1536, 1024), HIGH, 1)
    fal = estimate("fal", "openai/gpt-image-2/edit", *args)
    assert fal.low == estimate("openai", "gpt-image-2", *args).low
    assert "approximate" not in fal.basis
    rep = estimate("replicate", "openai/gpt-image-2", *args)
    assert rep.low == fal.low and rep.basis.startswith("approximate")


def test_auto_quality_gives_the_low_to_high_range_and_names_medium():
    est = estimate("openai", "gpt-image-2", Size(1024, 1024), AUTO, 1)
    assert est.low == pytest.approx(196 * 30 / 1e6) and est.high == pytest.approx(7024 * 30 / 1e6)
    assert "medium ≈ $0.053" in est.basis  # 1756 × $30/M


def test_auto_size_spans_the_standard_sizes():
    est = estimate("openai", "gpt-image-1", None, HIGH, 1)
    assert est.low == pytest.approx(4160 * 40 / 1e6) and est.high == pytest.approx(6240 * 40 / 1e6)
    assert "size auto" in est.basis


def test_variations_multiply_the_output_not_the_input():
    one = estimate("openai", "gpt-image-2", Size(1024, 1024), LOW, 1, input_images=[Size(800, 600)])
    three = estimate("openai", "gpt-image-2", Size(1024, 1024), LOW, 3, input_images=[Size(800, 600)])
    assert three.low - one.low == pytest.approx(2 * 196 * 30 / 1e6)


PROVIDER_MODELS = [
    ("openai", "gpt-image-2"),
    ("openai", "gpt-image-1.5"),
    ("openai", "gpt-image-1"),
    ("openai", "gpt-image-1-mini"),
    ("eachlabs", "gpt-image-v2-edit"),
    ("eachlabs", "gpt-image-v1-5-edit"),
    ("replicate", "openai/gpt-image-2"),
    ("replicate", "openai/gpt-image-1.5"),
    ("fal", "openai/gpt-image-2/edit"),
]


@pytest.mark.parametrize(("provider", "model"), PROVIDER_MODELS)
def test_ranges_are_ordered_and_grow_with_quality_and_n(provider, model):
    for size, n, inputs in itertools.product(
        [None, *map(Size.parse, ("1024x1024", "1536x1024"))], (1, 4), (0, 2)
    ):
        ests = {
            q: estimate(provider, model, size, q, n, input_images=[Size(512, 512)] * inputs, prompt_chars=99)
            for q in (LOW, MEDIUM, HIGH, AUTO)
        }
        for est in ests.values():
            assert 0 < est.low <= est.high
        assert ests[LOW].high <= ests[MEDIUM].low or size is None
        assert ests[MEDIUM].high <= ests[HIGH].high
        assert ests[AUTO].low == pytest.approx(ests[LOW].low) and ests[AUTO].high == pytest.approx(
            ests[HIGH].high
        )


def test_every_model_in_the_catalog_has_a_price_table():
    from gptedit.catalog import PROVIDERS

    for provider in PROVIDERS.values():
        for m in provider.models:
            assert model_family(m.id) is not None, m.id
            assert estimate(provider.name, m.id, None, AUTO, 1).high > 0


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("gpt-image-2-2026-04-21", "gpt-image-2"),
        ("gpt-image-v2-edit", "gpt-image-2"),
        ("fal-ai/gpt-image-1/edit-image", "gpt-image-1"),
        ("fal-ai/gpt-image-1.5/edit", "gpt-image-1.5"),
        ("openai-image-edit", "gpt-image-1"),
        ("openai/gpt-image-1-mini", "gpt-image-1-mini"),
        ("gpt-image-2.5-flare", "gpt-image-2.5"),
        ("gpt-image-2.5-sunburst-2026-09-08", "gpt-image-2.5"),
        ("openai/gpt-image-2.5/flare/edit", "gpt-image-2.5"),
        ("gpt-image-2.6-sunburst", "gpt-image-2.6"),
        ("chatgpt-image-latest", "gpt-image-1.5"),
        ("gpt-image-3", None),
        ("dall-e-2", None),
    ],
)
def test_model_ids_map_to_the_openai_model_underneath(model, family):
    assert model_family(model) == family


def test_unknown_model_is_an_unknown_price_not_zero_dollars():
    est = estimate("openai", "dall-e-2", Size(1024, 1024), HIGH, 1)
    assert est.text() == "unknown"
    with pytest.raises(BadInput):
        estimate("openai", "gpt-image-2", Size(1024, 1024), HIGH, 0)
    with pytest.raises(BadInput, match="Quality"):
        estimate("openai", "gpt-image-2", Size(1024, 1024), "best", 1)


# --- after the run ---------------------------------------------------------------------------------------

CAPTURED = Usage(input_text_tokens=37, input_image_tokens=768, output_tokens=7024)  # [O8]


def test_reported_cost_wins_over_everything():
    assert (
        actual(
            "eachlabs",
            "gpt-image-v2-edit",
            usage=CAPTURED,
            reported_cost=0.05,
            n=1,
            size=Size(1024, 1024),
            quality=HIGH,
        )
        == 0.05
    )
    assert (
        actual("eachlabs", "gpt-image-v2-edit", usage=None, reported_cost=0.0, n=1, size=None, quality=AUTO)
        == 0.0
    )


def test_usage_tokens_times_the_providers_rates():
    kw = dict(reported_cost=None, n=1, size=Size(1024, 1024), quality=HIGH)
    assert actual("openai", "gpt-image-2", usage=CAPTURED, **kw) == pytest.approx(
        (37 * 5 + 768 * 8 + 7024 * 30) / 1e6
    )
    assert actual("eachlabs", "gpt-image-v2-edit", usage=CAPTURED, **kw) == pytest.approx(
        (37 * 5 + 768 * 10 + 7024 * 30) / 1e6
    )


def test_without_usage_the_known_output_is_priced_and_auto_is_unknown():
    assert actual(
        "openai", "gpt-image-2", usage=None, reported_cost=None, n=2, size=Size(1024, 1024), quality=MEDIUM
    ) == pytest.approx(2 * 1756 * 30 / 1e6)
    assert (
        actual(
            "openai",
            "gpt-image-2",
            usage=Usage(),
            reported_cost=None,
            n=1,
            size=Size(1024, 1024),
            quality=AUTO,
        )
        is None
    )
    assert (
        actual("openai", "gpt-image-2", usage=None, reported_cost=None, n=1, size=None, quality=HIGH) is None
    )
    assert (
        actual("openai", "dall-e-2", usage=CAPTURED, reported_cost=None, n=1, size=None, quality=HIGH) is None
    )


# --- GPT Image 2.5 / 2.6 ---------------------------------------------------------------------------------


def test_2_6_is_billed_at_the_model_pages_token_rates():
    # $5 text in, $8 image in, $30 image out per 1M tokens (OpenAI's gpt-image-2.6 model pages)
    usage = Usage(input_text_tokens=1000, input_image_tokens=1000, output_tokens=10_000)
    for model in ("gpt-image-2.6-sunburst", "gpt-image-2.6-flare", "gpt-image-2.5-flare"):
        assert actual(
            "openai", model, usage=usage, reported_cost=None, n=1, size=None, quality=HIGH
        ) == pytest.approx((1000 * 5 + 1000 * 8 + 10_000 * 30) / 1e6)


def test_2_6_estimate_for_low_medium_high_is_exact_and_named_approximate():
    est = estimate("openai", "gpt-image-2.6-sunburst", Size(1024, 1024), HIGH, 1)
    assert est.low == est.high == pytest.approx(7024 * 30 / 1e6)
    assert "approximate" in est.basis


@pytest.mark.parametrize(("quality", "factor"), [(Quality.XHIGH, 2), (Quality.MAX, 4)])
def test_xhigh_and_max_are_a_range_from_high_upward(quality, factor):
    high = estimate("openai", "gpt-image-2.6-flare", Size(1536, 1024), HIGH, 1)
    est = estimate("openai", "gpt-image-2.6-flare", Size(1536, 1024), quality, 1)
    assert est.low == pytest.approx(high.low) and est.high == pytest.approx(5488 * factor * 30 / 1e6)
    assert f"quality {quality.value}" in est.basis
    # no after-run guess without usage: the count is not published
    assert (
        actual(
            "openai",
            "gpt-image-2.6-flare",
            usage=None,
            reported_cost=None,
            n=1,
            size=Size(1536, 1024),
            quality=quality,
        )
        is None
    )


def test_xhigh_is_refused_for_models_without_it():
    with pytest.raises(BadInput, match="xhigh"):
        estimate("openai", "gpt-image-2", Size(1024, 1024), Quality.XHIGH, 1)


def test_a_markup_overlay_is_billed_as_one_more_input_image():
    plain = estimate(
        "openai", "gpt-image-2.6-sunburst", Size(1024, 1024), LOW, 1, input_images=[Size(1024, 1024)]
    )
    marked = estimate(
        "openai",
        "gpt-image-2.6-sunburst",
        Size(1024, 1024),
        LOW,
        1,
        input_images=[Size(1024, 1024)],
        markup=True,
    )
    assert marked.low - plain.low == pytest.approx(768 * 8 / 1e6)
    assert "2 input image(s)" in marked.basis


def test_every_tier_of_every_current_model_has_an_estimate():
    from datetime import date

    from gptedit.retirement import offered_models

    for provider in ("openai", "fal", "replicate", "eachlabs"):
        for m in offered_models(provider, today=date(2026, 12, 1)):
            for q in m.qualities:
                est = estimate(provider, m.id, Size(1024, 1024), q, 1)
                assert 0 < est.low <= est.high, (provider, m.id, q)
