"""OpenAI's usage splits output tokens into image and text (`output_tokens_details`); the cost after the
run prices each kind at its own rate where one is published."""

from __future__ import annotations

import pytest
from gptedit.models import Quality, Size, Usage
from gptedit.pricing import actual
from gptedit.providers.common import usage_from

KW = dict(reported_cost=None, n=1, size=Size(1024, 1024), quality=Quality.HIGH)


def test_usage_reads_the_output_split():
    u = usage_from(
        {
            "input_tokens": 805,
            "output_tokens": 7100,
            "total_tokens": 7905,
            "input_tokens_details": {"text_tokens": 37, "image_tokens": 768},
            "output_tokens_details": {"image_tokens": 7024, "text_tokens": 76},
        }
    )
    assert (u.input_text_tokens, u.input_image_tokens, u.output_tokens, u.output_text_tokens) == (
        37,
        768,
        7100,
        76,
    )
    assert u.to_json()["output_text_tokens"] == 76
    # without details every output token is an image token, as before; a bogus count is capped
    assert usage_from({"output_tokens": 50}).output_text_tokens == 0
    assert (
        usage_from({"output_tokens": 5, "output_tokens_details": {"text_tokens": 9}}).output_text_tokens == 5
    )


def test_text_output_is_priced_at_the_text_rate():
    mixed = Usage(input_text_tokens=37, input_image_tokens=768, output_tokens=7100, output_text_tokens=76)
    assert actual("openai", "gpt-image-2", usage=mixed, **KW) == pytest.approx(
        (37 * 5 + 768 * 8 + 7024 * 30 + 76 * 10) / 1e6
    )
    # a model without a published text-output rate prices all output as image output, as before
    assert actual("openai", "gpt-image-1-mini", usage=mixed, **KW) == pytest.approx(
        (37 * 2 + 768 * 2.5 + 7100 * 8) / 1e6
    )
