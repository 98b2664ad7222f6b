"""OpenAI's Responses route: what the create request holds, how every shape of answer is read, what it
costs, and how its settings share the OpenAI account."""

from __future__ import annotations

import base64
import io

import pytest
from gptedit.catalog import PROVIDERS
from gptedit.errors import BadResponse, ModerationBlocked, ProviderError
from gptedit.models import EditRequest, ImageInput, OutputFormat, Quality, RemoteStatus, Size
from gptedit.pricing import estimate, responses_cost
from gptedit.providers.base import ProviderConfig
from gptedit.providers.openai_responses import DEFAULT_MAINLINE_MODEL, OpenAIResponsesProvider, parse_response
from gptedit.settings import base_url_env, resolve
from PIL import Image


def png(width: int = 32, height: int = 24, mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (width, height), (10, 20, 30) if mode == "RGB" else (0, 0, 0, 0)).save(buf, "PNG")
    return buf.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def provider(**kw) -> OpenAIResponsesProvider:
    return OpenAIResponsesProvider(ProviderConfig("openai-responses", "", "sk-test"), **kw)


def request(**kw) -> EditRequest:
    kw.setdefault("images", [ImageInput(png(), "image/png", 32, 24, "layer.png")])
    return EditRequest(
        prompt=" make it blue ",
        model="gpt-image-2",
        quality=Quality.HIGH,
        size=Size(1536, 1024),
        output_format=OutputFormat.WEBP,
        **kw,
    )


def completed(result: str | None, **call) -> dict:
    return {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "model": "gpt-4.1-mini-2025-04-14",
        "tools": [{"type": "image_generation", "model": "gpt-image-2"}],
        "usage": {"input_tokens": 1000, "output_tokens": 100},
        "output": [
            {"type": "image_generation_call", "id": "ig_1", "status": "completed", "result": result, **call}
        ],
    }


# --- the create request ------------------------------------------------------------------------------
def test_create_body_is_a_background_response_with_one_forced_image_tool_call():
    mask = ImageInput(png(mode="RGBA"), "image/png", 32, 24, "mask.png")
    ref = ImageInput(png(16, 16), "image/png", 16, 16, "ref.png")
    req = request(mask=mask)
    req.images.append(ref)
    body = provider().create_body(req)
    assert body["background"] is True and body["store"] is True
    assert body["model"] == DEFAULT_MAINLINE_MODEL
    assert body["tool_choice"] == {"type": "image_generation"} and body["max_tool_calls"] == 1
    (tool,) = body["tools"]
    assert tool == {
        "type": "image_generation",
        "model": "gpt-image-2",
        "action": "edit",
        "size": "1536x1024",
        "quality": "high",
        "background": "auto",
        "output_format": "webp",
        "input_image_mask": {"image_url": "data:image/png;base64," + b64(mask.data)},
    }
    (message,) = body["input"]
    assert message["role"] == "user"
    text, first, second = message["content"]
    assert text == {"type": "input_text", "text": "make it blue"}
    assert first == {
        "type": "input_image",
        "image_url": "data:image/png;base64," + b64(req.images[0].data),
        "detail": "auto",
    }
    assert second["image_url"].endswith(b64(ref.data))
    assert body["metadata"] == {"client": "gptedit"}


def test_the_create_request_can_carry_a_client_tag_and_another_mainline_model():
    p = provider(mainline_model="gpt-5-mini")
    body = p.create_body(request(client_tag="gptedit-abc123"))
    assert body["model"] == "gpt-5-mini"
    assert body["metadata"] == {"client": "gptedit", "job": "gptedit-abc123"}


def test_one_image_per_job_is_checked_before_sending():
    with pytest.raises(Exception, match="at most 1"):
        provider().check(request(n=2))


# --- reading answers ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "word,status",
    [
        ("queued", RemoteStatus.QUEUED),
        ("in_progress", RemoteStatus.RUNNING),
        ("warming", RemoteStatus.RUNNING),
    ],
)
def test_unfinished_words(word, status):
    assert parse_response({"id": "r", "status": word, "output": []}).status is status


def test_a_completed_response_gives_the_image():
    data = png()
    result = parse_response(completed(b64(data)))
    assert result.status is RemoteStatus.SUCCEEDED
    assert [o.data for o in result.outputs] == [data]


def test_a_damaged_image_is_a_bad_response_so_it_is_read_again():
    with pytest.raises(BadResponse):
        parse_response(completed(b64(png())[:40]))


def test_a_refused_image_call_is_moderation():
    body = completed(
        None,
        status="failed",
        error={"type": "image_generation_user_error", "code": "moderation_blocked", "message": "Rejected."},
    )
    result = parse_response(body)
    assert result.status is RemoteStatus.FAILED and isinstance(result.error, ModerationBlocked)


def test_a_failed_response_with_a_policy_code_is_moderation_and_others_are_provider_errors():
    body = {
        "id": "r",
        "status": "failed",
        "error": {"code": "image_content_policy_violation", "message": "No."},
    }
    assert isinstance(parse_response(body).error, ModerationBlocked)
    body["error"] = {"code": "server_error", "message": "Boom"}
    err = parse_response(body).error
    assert isinstance(err, ProviderError) and not isinstance(err, ModerationBlocked) and "Boom." in str(err)


def test_an_incomplete_response_says_why():
    body = {
        "id": "r",
        "status": "incomplete",
        "incomplete_details": {"reason": "content_filter"},
        "output": [],
    }
    assert isinstance(parse_response(body).error, ModerationBlocked)
    body["incomplete_details"] = {"reason": "max_output_tokens"}
    assert "max_output_tokens" in str(parse_response(body).error)


def test_a_model_that_answers_in_words_instead_of_an_image_is_quoted():
    body = {
        "id": "r",
        "status": "completed",
        "output": [
            {"type": "message", "content": [{"type": "output_text", "text": "I can't help with that."}]}
        ],
    }
    result = parse_response(body)
    assert result.status is RemoteStatus.FAILED and "I can't help with that." in str(result.error)


def test_a_cancelled_response():
    assert parse_response({"id": "r", "status": "cancelled", "output": []}).status is RemoteStatus.CANCELLED


def test_a_finished_answer_is_priced_from_what_the_tool_made():
    p = provider()
    result = p._parse(completed(b64(png()), size="1024x1024", quality="high"), request())
    expected = responses_cost(
        DEFAULT_MAINLINE_MODEL,
        "gpt-4.1-mini-2025-04-14",
        "gpt-image-2",
        usage={"input_tokens": 1000, "output_tokens": 100},
        size=Size(1024, 1024),
        quality=Quality.HIGH,
        images=1,
    )
    assert result.cost_usd == expected
    # 7024 output tokens at $30/M, one input picture, and 1000 + 100 mainline tokens at $0.40/$1.60
    assert expected == pytest.approx(7024 * 30e-6 + 768 * 8e-6 + 1000 * 0.4e-6 + 100 * 1.6e-6, abs=1e-6)


# --- cost before the run -----------------------------------------------------------------------------
def test_the_estimate_adds_the_mainline_model_to_the_images_price():
    args = ("gpt-image-2", Size(1024, 1024), Quality.HIGH, 1)
    images = estimate("openai", *args, input_images=[Size(1024, 1024)], prompt_chars=40)
    responses = estimate("openai-responses", *args, input_images=[Size(1024, 1024)], prompt_chars=40)
    extra = responses.low - images.low
    assert 0 < extra < 0.01
    assert DEFAULT_MAINLINE_MODEL in responses.basis
    # the text model setting is what is priced and named; a model without a known price adds nothing
    dearer = estimate(
        "openai-responses", *args, input_images=[Size(1024, 1024)], prompt_chars=40, text_model="gpt-4.1"
    )
    assert dearer.low - images.low == pytest.approx(extra * 5) and "gpt-4.1," in dearer.basis
    unknown = estimate(
        "openai-responses", *args, input_images=[Size(1024, 1024)], prompt_chars=40, text_model="o9"
    )
    assert unknown.low == images.low and "no price known" in unknown.basis


# --- settings ----------------------------------------------------------------------------------------
def test_the_route_uses_the_openai_key_and_base_url_unless_it_has_its_own():
    config = {"providers": {"openai": {"api_key": "sk-shared", "base_url": "https://gw.example/v1"}}}
    s = resolve({"provider": "openai-responses"}, env={}, config=config)
    assert (s.api_key, s.base_url) == ("sk-shared", "https://gw.example/v1")
    assert s.model == PROVIDERS["openai"].default_model
    assert s.protocol == "openai-responses" and s.key_env == "OPENAI_API_KEY"
    config["providers"]["openai-responses"] = {"api_key": "sk-own"}
    assert resolve({"provider": "openai-responses"}, env={}, config=config).api_key == "sk-own"
    s = resolve({"provider": "openai-responses"}, env={"OPENAI_API_KEY": "sk-env"}, config=config)
    assert s.api_key == "sk-env" and s.sources["api_key"] == "env"
    s = resolve({"provider": "openai-responses"}, env={}, config={})
    assert s.base_url == "https://api.openai.com/v1"


def test_the_base_url_variable_is_a_valid_shell_name():
    assert base_url_env("openai-responses") == "GPTEDIT_OPENAI_RESPONSES_BASE_URL"
    env = {
        "GPTEDIT_OPENAI_RESPONSES_BASE_URL": "https://own.example/v1",
        "GPTEDIT_OPENAI_BASE_URL": "https://shared.example/v1",
    }
    assert resolve({"provider": "openai-responses"}, env=env, config={}).base_url == "https://own.example/v1"
    del env["GPTEDIT_OPENAI_RESPONSES_BASE_URL"]
    assert (
        resolve({"provider": "openai-responses"}, env=env, config={}).base_url == "https://shared.example/v1"
    )
