"""Each provider maps requests to its wire format and every documented answer shape to a PollResult.

Shapes come from docs/providers.md; flows run against tiny loopback servers (the faithful sandbox and the
conformance suite are separate)."""

from __future__ import annotations

import base64
import io
import json

import pytest
from gptedit.errors import (
    BadInput,
    BadResponse,
    ConfigError,
    ModerationBlocked,
    OutputExpired,
    ProviderError,
    SubmissionUnknown,
    Unsupported,
)
from gptedit.models import (
    Background,
    Complexity,
    EditRequest,
    ImageInput,
    OutputFormat,
    OutputRef,
    Quality,
    RemoteHandle,
    RemoteStatus,
    Size,
)
from gptedit.providers import (
    PROVIDER_CLASSES,
    ProviderConfig,
    eachlabs,
    fal,
    make_provider,
    openai,
    replicate,
)
from gptedit.transport import RetryPolicy
from http_fixture import LoopbackServer, Reply
from PIL import Image


def png(w=64, h=48, color=(10, 200, 30, 255)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (w, h), color).save(buf, "PNG")
    return buf.getvalue()


def jpeg(w=64, h=48) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (1, 2, 3)).save(buf, "JPEG")
    return buf.getvalue()


IMG = png()
OUT = png(32, 32, (255, 0, 0, 255))
B64 = base64.b64encode(OUT).decode()


def req(model, **kw) -> EditRequest:
    kw.setdefault("images", [ImageInput(IMG, "image/png", 64, 48, "layer.png")])
    return EditRequest(prompt=kw.pop("prompt", "make it red"), model=model, **kw)


@pytest.fixture
def server():
    s = LoopbackServer().start()
    yield s
    s.stop()


def provider(name, server, **opts):
    cfg = ProviderConfig(
        name=name, base_url=server.base, api_key="KEY123", connect_timeout=5, read_timeout=10
    )
    return make_provider(name, cfg, retry=RetryPolicy(attempts=2, base_delay=0.01), **opts)


# --- registry ----------------------------------------------------------------------------------------
def test_registry_knows_every_provider():
    assert set(PROVIDER_CLASSES) == {"eachlabs", "openai", "openai-responses", "replicate", "fal"}
    p = make_provider("openai", ProviderConfig("openai", "", "k"), stream=True, partial_images=9)
    assert p.stream and p.partial_images == 3 and p.base_url == "https://api.openai.com/v1"
    assert p.read_timeout == 600.0
    assert make_provider("replicate", ProviderConfig("replicate", "", "k"), wait=500).wait == 60
    with pytest.raises(ConfigError, match="eachlabs, openai, openai-responses, replicate, fal"):
        make_provider("dalle", ProviderConfig("dalle", "", "k"))


def test_plain_http_base_refused_before_anything_else():
    with pytest.raises(ConfigError, match="https"):
        make_provider("fal", ProviderConfig("fal", "http://gateway.example.com", "k"))


# --- check(): validated against the catalog before anything is sent ----------------------------------
def p_(name):
    return make_provider(name, ProviderConfig(name, "", "k"))


@pytest.mark.parametrize(
    "name,model,change,error,words",
    [
        ("openai", "gpt-image-2", {"prompt": "  "}, BadInput, "prompt is empty"),
        ("openai", "gpt-image-2", {"images": []}, BadInput, "no image"),
        ("openai", "gpt-image-2", {"images": [ImageInput(IMG)] * 17}, Unsupported, "at most 16"),
        ("openai", "gpt-image-2", {"n": 0}, BadInput, "at least one"),
        ("openai", "gpt-image-2", {"n": 11}, Unsupported, "at most 10"),
        ("replicate", "openai/gpt-image-2", {"n": 2}, Unsupported, "at most 1 result"),
        ("replicate", "openai/gpt-image-2", {"size": Size(2048, 1152)}, Unsupported, "cannot make 2048x1152"),
        ("openai", "gpt-image-2", {"size": Size(1000, 1000)}, Unsupported, "multiples of 16"),
        ("eachlabs", "gpt-image-v2-edit", {"mask": ImageInput(png())}, Unsupported, "cannot take a mask"),
        (
            "replicate",
            "openai/gpt-image-2",
            {"mask": ImageInput(png())},
            Unsupported,
            "fal openai/gpt-image-2/edit",
        ),
        (
            "openai",
            "gpt-image-2.6-flare",
            {"background": Background.TRANSPARENT, "output_format": OutputFormat.JPEG},
            BadInput,
            "JPEG cannot be transparent",
        ),
        (
            "openai",
            "gpt-image-2",
            {"quality": Quality.XHIGH},
            Unsupported,
            "no quality 'xhigh'; choose low, medium",
        ),
        (
            "openai",
            "gpt-image-2.5-flare",
            {"complexity": Complexity.LOW},
            Unsupported,
            "no complexity setting",
        ),
        (
            "openai",
            "gpt-image-2.5-flare",
            {"markup": ImageInput(png())},
            Unsupported,
            "cannot take a markup layer.*OpenAI gpt-image-2.6-sunburst",
        ),
        ("fal", "openai/gpt-image-2/edit", {"quality": Quality.MAX}, Unsupported, "no quality 'max'"),
        (
            "openai",
            "gpt-image-2.6-flare",
            {"markup": ImageInput(png(32, 32))},
            BadInput,
            "markup layer is 32x32",
        ),
        (
            "openai",
            "gpt-image-2.6-flare",
            {"markup": ImageInput(jpeg())},
            BadInput,
            "markup layer must be a PNG",
        ),
        (
            "openai",
            "gpt-image-2",
            {"mask": ImageInput(png()), "images": [ImageInput(IMG), ImageInput(IMG)]},
            Unsupported,
            "cannot combine a mask with reference images",
        ),
        ("openai", "gpt-image-2", {"background": Background.TRANSPARENT}, Unsupported, "auto or opaque"),
        ("openai", "gpt-image-2", {"mask": ImageInput(jpeg())}, BadInput, "PNG"),
        ("openai", "gpt-image-2", {"mask": ImageInput(png(32, 32))}, BadInput, "same size"),
        ("openai", "gpt-image-2", {"images": [ImageInput(b"<html>")]}, BadInput, "not a complete"),
        ("openai", "dall-e-3", {}, BadInput, "gpt-image-2.6-flare"),
    ],
)
def test_check_refuses_with_an_actionable_message(name, model, change, error, words):
    with pytest.raises(error, match=words):
        p_(name).check(req(model, **change))


@pytest.mark.parametrize(
    "name,model,change",
    [
        ("openai", "gpt-image-2", {"size": Size(2048, 1152), "n": 10, "mask": ImageInput(png())}),
        (
            "openai",
            "gpt-image-2.6-flare",
            {"background": Background.TRANSPARENT, "output_format": OutputFormat.WEBP},
        ),
        (
            "openai",
            "gpt-image-2.6-sunburst",
            {
                "quality": Quality.MAX,
                "complexity": Complexity.LOW,
                "markup": ImageInput(png()),
                "mask": ImageInput(png()),
            },
        ),
        ("openai", "gpt-image-2.5-sunburst", {"quality": Quality.XHIGH, "size": Size(3840, 2160)}),
        ("fal", "openai/gpt-image-2/edit", {"size": Size(3840, 2160), "mask": ImageInput(png())}),
        ("eachlabs", "gpt-image-v2-edit", {"size": Size(1024, 1536), "n": 4}),
        ("replicate", "openai/gpt-image-2", {"images": [ImageInput(jpeg()), ImageInput(IMG)]}),
    ],
)
def test_check_accepts_what_the_model_can_do(name, model, change):
    p_(name).check(req(model, **change))


# --- each::labs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "word,status",
    [
        ("created", RemoteStatus.QUEUED),
        ("starting", RemoteStatus.RUNNING),
        ("processing", RemoteStatus.RUNNING),
        ("error", RemoteStatus.FAILED),
        ("failed", RemoteStatus.FAILED),
        ("cancelled", RemoteStatus.CANCELLED),
        ("canceled", RemoteStatus.CANCELLED),
        ("warming_up", RemoteStatus.RUNNING),
        ("", RemoteStatus.RUNNING),
    ],
)
def test_eachlabs_status_words(word, status):
    assert eachlabs.parse_prediction({"status": word}).status is status


@pytest.mark.parametrize(
    "output,urls",
    [
        ("https://cdn/a.png", ["https://cdn/a.png"]),
        (["https://cdn/a.png", "https://cdn/b.png"], ["https://cdn/a.png", "https://cdn/b.png"]),
        ({"url": "https://cdn/a.png"}, ["https://cdn/a.png"]),
        (
            [{"url": "https://cdn/a.png"}, {"url": "https://cdn/b.png"}],
            ["https://cdn/a.png", "https://cdn/b.png"],
        ),
    ],
)
def test_eachlabs_output_shapes_and_cost(output, urls):
    r = eachlabs.parse_prediction(
        {"status": "success", "output": output, "metrics": {"predict_time": 12.5, "cost": 0.05}}
    )
    assert r.status is RemoteStatus.SUCCEEDED and [o.url for o in r.outputs] == urls and r.cost_usd == 0.05


def test_eachlabs_success_without_output_is_a_failure():
    r = eachlabs.parse_prediction({"status": "success", "output": None})
    assert r.status is RemoteStatus.FAILED and isinstance(r.error, ProviderError)


@pytest.mark.parametrize(
    "body,text",
    [
        ({"output": {"error_message": "first", "error": "Execution failed"}, "error": "x"}, "first"),
        ({"output": {"error": "Execution failed"}, "error": "x"}, "Execution failed"),
        ({"output": None, "error": "top", "message": "m"}, "top"),
        ({"message": "msg", "details": "d"}, "msg"),
        ({"details": "det", "logs": "log"}, "det"),
        ({"logs": "only logs"}, "only logs"),
        ({"output": [{"id": "", "error": "Error: Model timeout after 30s"}]}, "Model timeout"),
    ],
)
def test_eachlabs_failure_text_in_documented_order(body, text):
    r = eachlabs.parse_prediction({"status": "error", **body})
    assert r.status is RemoteStatus.FAILED and isinstance(r.error, ProviderError) and text in str(r.error)


def test_eachlabs_content_moderation():
    body = {
        "status": "error",
        "output": {
            "error_message": "flagged input",
            "success": False,
            "classification": {"category": "content_moderation"},
        },
    }
    assert isinstance(eachlabs.parse_prediction(body).error, ModerationBlocked)


def test_eachlabs_error_bodies():
    assert (
        eachlabs.error_detail({"status": 402, "error": "payment required", "details": "balance"}).message
        == "payment required: balance"
    )
    assert eachlabs.error_detail({"status": "error", "message": "old style"}).message == "old style"


def eachlabs_storage(server, name="u1"):
    server.add(
        "POST",
        "/v1/upload/presign",
        Reply(
            json={
                "id": name,
                "presigned_url": f"{server.base}/s3/{name}?X-Amz-Signature=abc",
                "public_url": f"https://cdn-us.eachlabs.ai/uploads/{name}.png",
                "expires_at": "2026-12-08T18:15:00Z",
                "required_headers": {"x-amz-meta-file-id": name},
            }
        ),
    )
    server.add("PUT", f"/s3/{name}", Reply(200))


def test_eachlabs_submit_uploads_then_creates(server):
    eachlabs_storage(server)
    server.add(
        "POST",
        "/v1/prediction",
        Reply(
            json={
                "status": "success",
                "message": "Prediction created successfully",
                "predictionID": "abc-123",
            }
        ),
    )
    events = []
    p = provider("eachlabs", server)
    sub = p.submit(req("gpt-image-v2-edit", n=2, quality=Quality.HIGH), lambda k, v: events.append((k, v)))
    put = server.requests("PUT")[0]
    assert put.headers["x-amz-meta-file-id"] == "u1" and put.headers["content-type"] == "image/png"
    assert "authorization" not in put.headers and put.body == IMG
    presign = server.requests("POST", "/v1/upload/presign")[0]
    assert presign.json()["content_type"] == "image/png" and presign.json()["file_type"] == "image"
    assert presign.headers["authorization"] == "Bearer KEY123"
    create = server.requests("POST", "/v1/prediction")[0].json()
    assert (
        create["model"] == "gpt-image-v2-edit"
        and create["version"] == "0.0.1"
        and create["webhook_url"] == ""
    )
    # size "auto": the fixed size nearest the 64x48 picture's 4:3, never left to the 1024x1024 default
    assert create["input"] == {
        "prompt": "make it red",
        "image_urls": ["https://cdn-us.eachlabs.ai/uploads/u1.png"],
        "background": "auto",
        "output_format": "png",
        "num_images": 2,
        "quality": "high",
        "image_size": "1536x1024",
    }
    assert sub.handle.remote_id == "abc-123" and sub.result is None
    assert sub.handle.urls["get"] == server.base + "/v1/prediction/abc-123"
    assert events[-1] == ("upload", 1.0) and all(k == "upload" for k, _ in events)


def test_eachlabs_always_sends_a_size(server):
    payload = p_("eachlabs").create_payload(req("gpt-image-v2-edit", size=Size(1024, 1536)), ["u"])
    assert payload["input"]["image_size"] == "1024x1536" and "quality" not in payload["input"]
    portrait = [ImageInput(png(30, 50), "image/png", 30, 50)]
    square = [ImageInput(png(50, 52), "image/png", 50, 52)]
    for images, size in ((portrait, "1024x1536"), (square, "1024x1024")):
        payload = p_("eachlabs").create_payload(req("gpt-image-v1-5-edit", images=images), ["u"])
        assert payload["input"]["image_size"] == size


@pytest.mark.parametrize(
    "body,error",
    [
        ({"status": "error", "message": "Invalid input for model"}, ProviderError),
        ({"status": "success", "message": "created"}, SubmissionUnknown),
    ],
)
def test_eachlabs_odd_create_answers(server, body, error):
    eachlabs_storage(server)
    server.add("POST", "/v1/prediction", Reply(json=body))
    with pytest.raises(error):
        provider("eachlabs", server).submit(req("gpt-image-v2-edit"))


def test_eachlabs_poll_cancel_and_fetch(server):
    server.add(
        "GET",
        "/v1/prediction/p1",
        Reply(json={"id": "p1", "status": "processing"}),
        Reply(
            json={
                "id": "p1",
                "status": "success",
                "output": [f"{server.base}/files/out.png"],
                "metrics": {"cost": 0.21},
            }
        ),
    )
    server.add("POST", "/v1/prediction/p1/cancel", Reply(json={"status": "cancelled"}))
    server.add(
        "GET", "/files/out.png", Reply(body=OUT, headers={"Content-Type": "image/png"}), Reply(body=OUT[:-20])
    )
    p = provider("eachlabs", server)
    h = RemoteHandle("eachlabs", "p1")
    assert p.poll(h).status is RemoteStatus.RUNNING
    done = p.poll(h)
    assert done.status is RemoteStatus.SUCCEEDED and done.cost_usd == 0.21
    assert p.fetch(done.outputs[0]) == OUT
    assert "authorization" not in server.requests("GET", "/files/out.png")[0].headers
    with pytest.raises(BadResponse, match="damaged"):
        p.fetch(done.outputs[0])
    p.cancel(h)
    assert server.requests("POST", "/v1/prediction/p1/cancel")


# --- OpenAI -----------------------------------------------------------------------------------------
def test_openai_response_with_usage():
    body = {
        "created": 1713833628,
        "background": "opaque",
        "data": [{"b64_json": B64}],
        "output_format": "png",
        "usage": {
            "input_tokens": 805,
            "input_tokens_details": {"image_tokens": 768, "text_tokens": 37},
            "output_tokens": 7024,
            "total_tokens": 7829,
        },
    }
    r = openai.parse_images_response(body)
    assert (
        r.status is RemoteStatus.SUCCEEDED and r.outputs[0].data == OUT and r.outputs[0].mime == "image/png"
    )
    assert (r.usage.input_text_tokens, r.usage.input_image_tokens, r.usage.output_tokens) == (37, 768, 7024)


@pytest.mark.parametrize(
    "body,error",
    [
        ({"data": [{"b64_json": base64.b64encode(OUT[:-30]).decode()}]}, BadResponse),
        ({"data": [{"b64_json": "!!!not base64"}]}, BadResponse),
        ({"data": []}, ProviderError),
        ({"created": 1}, BadResponse),
        ({"error": {"message": "blocked", "code": "moderation_blocked"}}, ModerationBlocked),
    ],
)
def test_openai_unusable_answers_fail_the_job(body, error):
    r = openai.parse_images_response(body)
    assert r.status is RemoteStatus.FAILED and isinstance(r.error, error)


def test_openai_multipart_single_image_and_mask(server):
    server.add(
        "POST",
        "/images/edits",
        Reply(json={"created": 1, "data": [{"b64_json": B64}]}, headers={"x-request-id": "req_abc"}),
    )
    p = provider("openai", server)
    sub = p.submit(req("gpt-image-2", mask=ImageInput(png(), name="mask.png"), n=1))
    seen = server.requests("POST")[0]
    assert seen.headers["content-type"].startswith("multipart/form-data")
    body = seen.body
    assert b'name="image"; filename="layer.png"' in body and b'name="image[]"' not in body
    assert b'name="mask"; filename="mask.png"' in body
    for field, value in (
        ("model", b"gpt-image-2"),
        ("size", b"auto"),
        ("n", b"1"),
        ("quality", b"auto"),
        ("background", b"auto"),
        ("output_format", b"png"),
    ):
        assert f'name="{field}"'.encode() + b"\r\n\r\n" + value in body
    assert b'name="stream"' not in body
    assert seen.headers["authorization"] == "Bearer KEY123"
    assert sub.handle.remote_id == "req_abc" and sub.result.outputs[0].data == OUT
    assert p.fetch(sub.result.outputs[0]) == OUT
    with pytest.raises(ProviderError, match="synchronous"):
        p.poll(sub.handle)


def test_openai_several_images_use_the_bracket_name(server):
    server.add("POST", "/images/edits", Reply(json={"created": 1, "data": [{"b64_json": B64}]}))
    provider("openai", server).submit(
        req("gpt-image-2.6-flare", images=[ImageInput(IMG), ImageInput(jpeg(), "image/jpeg")])
    )
    body = server.requests("POST")[0].body
    assert body.count(b'name="image[]"') == 2 and b"Content-Type: image/jpeg" in body
    # ImageInput's default name is image.png; the JPEG goes out named .jpg
    assert b'filename="image.jpg"' in body and b'filename="image.png"' in body


def sse(*events) -> list[bytes]:
    return [f"event: {e.get('type', 'message')}\ndata: {json.dumps(e)}\n\n".encode() for e in events]


def test_openai_stream_partials_then_final(server):
    part = base64.b64encode(png(8, 8)).decode()
    chunks = sse(
        {"type": "image_edit.partial_image", "b64_json": part, "partial_image_index": 0},
        {"type": "image_edit.partial_image", "b64_json": part, "partial_image_index": 1},
        {
            "type": "image_edit.completed",
            "b64_json": B64,
            "usage": {
                "input_tokens": 50,
                "output_tokens": 50,
                "input_tokens_details": {"text_tokens": 10, "image_tokens": 40},
            },
        },
    )
    server.add("POST", "/images/edits", Reply(headers={"Content-Type": "text/event-stream"}, chunks=chunks))
    got = []
    sub = provider("openai", server, stream=True, partial_images=2).submit(
        req("gpt-image-2.6-flare"), lambda k, v: got.append((k, v))
    )
    assert [(k, v[0]) for k, v in got] == [("partial", 0), ("partial", 1)] and got[0][1][1] == png(8, 8)
    assert sub.result.outputs[0].data == OUT and sub.result.usage.input_image_tokens == 40
    body = server.requests("POST")[0].body
    assert b'name="stream"\r\n\r\ntrue' in body and b'name="partial_images"\r\n\r\n2' in body


def test_openai_stream_not_asked_for_models_without_confirmed_streaming(server):
    server.add("POST", "/images/edits", Reply(json={"created": 1, "data": [{"b64_json": B64}]}))
    provider("openai", server, stream=True).submit(req("gpt-image-2"))
    assert b'name="stream"' not in server.requests("POST")[0].body


def test_openai_stream_error_event(server):
    chunks = sse(
        {"type": "image_edit.partial_image", "b64_json": B64, "partial_image_index": 0},
        {
            "type": "error",
            "error": {"message": "rejected by the safety system", "code": "moderation_blocked"},
        },
    )
    server.add("POST", "/images/edits", Reply(headers={"Content-Type": "text/event-stream"}, chunks=chunks))
    sub = provider("openai", server, stream=True).submit(req("gpt-image-2.6-flare"))
    assert sub.result.status is RemoteStatus.FAILED and isinstance(sub.result.error, ModerationBlocked)


def test_openai_stream_that_ends_early_is_unknown(server):
    chunks = sse({"type": "image_edit.partial_image", "b64_json": B64, "partial_image_index": 0})
    server.add("POST", "/images/edits", Reply(headers={"Content-Type": "text/event-stream"}, chunks=chunks))
    with pytest.raises(SubmissionUnknown, match="before the final image"):
        provider("openai", server, stream=True).submit(req("gpt-image-2.6-flare"))
    assert len(server.seen) == 1


def test_openai_stream_request_answered_with_plain_json(server):
    server.add("POST", "/images/edits", Reply(json={"created": 1, "data": [{"b64_json": B64}]}))
    sub = provider("openai", server, stream=True).submit(req("gpt-image-2.6-flare"))
    assert sub.result.outputs[0].data == OUT


# --- Replicate ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "word,status",
    [
        ("starting", RemoteStatus.RUNNING),
        ("processing", RemoteStatus.RUNNING),
        ("failed", RemoteStatus.FAILED),
        ("canceled", RemoteStatus.CANCELLED),
        ("aborted", RemoteStatus.CANCELLED),
        ("booting", RemoteStatus.RUNNING),
    ],
)
def test_replicate_status_words(word, status):
    assert replicate.parse_prediction({"status": word, "error": "boom"}).status is status


@pytest.mark.parametrize(
    "output", [["https://replicate.delivery/a.webp"], "https://replicate.delivery/a.webp"]
)
def test_replicate_output_list_or_string(output):
    r = replicate.parse_prediction({"status": "succeeded", "output": output})
    assert [o.url for o in r.outputs] == ["https://replicate.delivery/a.webp"]


def test_replicate_removed_data_means_expired():
    r = replicate.parse_prediction({"status": "succeeded", "output": None, "data_removed": True})
    assert r.status is RemoteStatus.FAILED and isinstance(r.error, OutputExpired)


def test_replicate_failure_and_moderation_text():
    r = replicate.parse_prediction(
        {"status": "failed", "error": "Your request was rejected by the safety system"}
    )
    assert isinstance(r.error, ModerationBlocked)
    r = replicate.parse_prediction({"status": "failed", "error": "CUDA out of memory"})
    assert isinstance(r.error, ProviderError) and "CUDA out of memory" in str(r.error)


def test_replicate_problem_json():
    d = replicate.error_detail(
        {
            "title": "Input validation failed",
            "detail": "- input.aspect_ratio: bad",
            "status": 422,
            "invalid_fields": [
                {"type": "enum", "field": "input.aspect_ratio", "description": "must be one of 1:1"}
            ],
        }
    )
    assert "input.aspect_ratio: must be one of 1:1" in d.message
    assert replicate.error_detail(
        {"title": "Unauthenticated", "detail": "You did not pass a valid authentication token", "status": 401}
    ).message.startswith("You did not pass")


@pytest.mark.parametrize(
    "size,w,h,ratio",
    [
        (Size(1024, 1024), 64, 48, "1:1"),
        (Size(1536, 1024), 64, 48, "3:2"),
        (Size(1024, 1536), 64, 48, "2:3"),
        (None, 300, 200, "3:2"),
        (None, 200, 310, "2:3"),
        (None, 100, 110, "1:1"),
        (None, 125, 100, "3:2"),
        (None, 100, 125, "2:3"),  # mirrored pictures choose mirrored ratios
    ],
)
def test_replicate_aspect_ratio(size, w, h, ratio):
    assert (
        replicate.aspect_ratio(req("openai/gpt-image-2", size=size, images=[ImageInput(png(w, h))])) == ratio
    )


def test_replicate_flow_with_prefer_wait(server):
    pred = {
        "id": "gm3q",
        "status": "processing",
        "output": None,
        "urls": {
            "get": f"{server.base}/v1/predictions/gm3q",
            "cancel": f"{server.base}/v1/predictions/gm3q/cancel",
            "web": "https://replicate.com/p/gm3q",
        },
    }
    server.add(
        "POST",
        "/v1/models/openai/gpt-image-2/predictions",
        Reply(201, json=pred, headers={"Preference-Applied": "wait=5"}),
    )
    server.add(
        "GET",
        "/v1/predictions/gm3q",
        Reply(json={**pred, "status": "succeeded", "output": ["https://replicate.delivery/o.png"]}),
    )
    server.add("POST", "/v1/predictions/gm3q/cancel", Reply(json={**pred, "status": "canceled"}))
    p = provider("replicate", server, wait=5)
    sub = p.submit(req("openai/gpt-image-2", quality=Quality.LOW, output_format=OutputFormat.WEBP))
    create = server.requests("POST")[0]
    assert create.headers["prefer"] == "wait=5" and create.headers["authorization"] == "Bearer KEY123"
    inp = create.json()["input"]
    assert inp["input_images"][0].startswith("data:image/png;base64,")
    assert base64.b64decode(inp["input_images"][0].split(",", 1)[1]) == IMG
    assert (inp["aspect_ratio"], inp["number_of_images"], inp["quality"], inp["output_format"]) == (
        "3:2",
        1,
        "low",
        "webp",
    )  # auto: 64x48 is nearest 3:2
    assert sub.result is None and sub.handle.urls["web"] == "https://replicate.com/p/gm3q"
    assert p.poll(sub.handle).outputs[0].url == "https://replicate.delivery/o.png"
    p.cancel(sub.handle)
    assert server.requests("POST", "/v1/predictions/gm3q/cancel")


def test_replicate_finished_within_the_wait_returns_the_result(server):
    server.add(
        "POST",
        "/v1/models/openai/gpt-image-1.5/predictions",
        Reply(
            201,
            json={
                "id": "x1",
                "status": "succeeded",
                "output": ["https://replicate.delivery/o.png"],
                "urls": {"get": "https://api.replicate.com/v1/predictions/x1"},
            },
        ),
    )
    sub = provider("replicate", server).submit(req("openai/gpt-image-1.5"))
    assert sub.result.status is RemoteStatus.SUCCEEDED
    # the documented absolute URL points past our configured base, so the handle keeps the base's own
    assert sub.handle.urls["get"] == server.base + "/v1/predictions/x1"


# --- fal ---------------------------------------------------------------------------------------------
def fal_submit(server, rid="r1"):
    app = f"{server.base}/openai/gpt-image-2/requests/{rid}"
    server.add(
        "POST",
        "/openai/gpt-image-2/edit",
        Reply(
            json={
                "request_id": rid,
                "response_url": app,
                "status_url": app + "/status",
                "cancel_url": app + "/cancel",
            }
        ),
    )
    return app


def test_fal_submit_keeps_the_returned_urls(server):
    app = fal_submit(server)
    p = provider("fal", server)
    sub = p.submit(
        req("openai/gpt-image-2/edit", size=Size(2048, 1152), mask=ImageInput(png()), quality=Quality.MEDIUM)
    )
    seen = server.requests("POST")[0]
    assert seen.headers["authorization"] == "Key KEY123"
    body = seen.json()
    assert body["image_size"] == {"width": 2048, "height": 1152} and body["quality"] == "medium"
    assert body["mask_url"].startswith("data:image/png;base64,") and body["num_images"] == 1
    assert sub.handle.urls == {"status": app + "/status", "response": app, "cancel": app + "/cancel"}
    body_auto = p.create_payload(req("openai/gpt-image-2/edit"))
    # quality "auto" is sent as such: left out, fal would use its default, high
    assert (
        body_auto["image_size"] == "auto" and body_auto["quality"] == "auto" and "mask_url" not in body_auto
    )


def test_fal_queue_progress_and_result(server):
    app = fal_submit(server)
    server.add(
        "GET",
        "/openai/gpt-image-2/requests/r1/status",
        Reply(202, json={"status": "IN_QUEUE", "queue_position": 3, "response_url": app}),
        Reply(202, json={"status": "IN_PROGRESS", "logs": []}),
        Reply(
            200, json={"status": "COMPLETED", "logs": [], "metrics": {}, "error": None, "error_type": None}
        ),
    )
    inline = "data:image/png;base64," + B64
    server.add(
        "GET",
        "/openai/gpt-image-2/requests/r1",
        Reply(
            json={
                "images": [
                    {
                        "url": f"{server.base}/cdn/o.png",
                        "content_type": "image/png",
                        "width": 32,
                        "height": 32,
                    },
                    {"url": inline, "content_type": "image/png"},
                ],
                "usage": {
                    "input_tokens": 800,
                    "output_tokens": 7024,
                    "input_tokens_details": {"text_tokens": 32, "image_tokens": 768},
                },
            }
        ),
    )
    server.add("GET", "/cdn/o.png", Reply(body=OUT))
    p = provider("fal", server)
    h = p.submit(req("openai/gpt-image-2/edit")).handle
    q = p.poll(h)
    assert q.status is RemoteStatus.QUEUED and q.queue_position == 3 and q.detail == "IN_QUEUE"
    assert p.poll(h).status is RemoteStatus.RUNNING
    done = p.poll(h)
    assert (
        done.status is RemoteStatus.SUCCEEDED and len(done.outputs) == 2 and done.usage.output_tokens == 7024
    )
    assert p.fetch(done.outputs[0]) == OUT and p.fetch(done.outputs[1]) == OUT
    assert "authorization" not in server.requests("GET", "/cdn/o.png")[0].headers


def test_fal_completed_with_error_is_a_failure(server):
    fal_submit(server)
    server.add(
        "GET",
        "/openai/gpt-image-2/requests/r1/status",
        Reply(json={"status": "COMPLETED", "error": "Request timed out", "error_type": "request_timeout"}),
    )
    p = provider("fal", server)
    r = p.poll(p.submit(req("openai/gpt-image-2/edit")).handle)
    assert r.status is RemoteStatus.FAILED and "Request timed out" in str(r.error)
    assert not server.requests("GET", "/openai/gpt-image-2/requests/r1")  # no result fetch


def test_fal_validation_error_on_the_result_fails_the_job(server):
    fal_submit(server)
    server.add("GET", "/openai/gpt-image-2/requests/r1/status", Reply(json={"status": "COMPLETED"}))
    server.add(
        "GET",
        "/openai/gpt-image-2/requests/r1",
        Reply(
            422,
            json={
                "detail": [
                    {
                        "loc": ["body", "image_size"],
                        "msg": "Input should be a valid size",
                        "type": "value_error",
                    }
                ]
            },
            headers={"X-Fal-Retryable": "false", "x-fal-request-id": "fal-9"},
        ),
    )
    p = provider("fal", server)
    r = p.poll(p.submit(req("openai/gpt-image-2/edit")).handle)
    assert r.status is RemoteStatus.FAILED and isinstance(r.error, BadInput)
    assert "image_size: Input should be a valid size" in str(r.error) and "fal-9" in str(r.error)


@pytest.mark.parametrize(
    "word,status",
    [
        ("FAILED", RemoteStatus.FAILED),
        ("CANCELED", RemoteStatus.CANCELLED),
        ("CANCELLED", RemoteStatus.CANCELLED),
        ("WARMING", RemoteStatus.RUNNING),
    ],
)
def test_fal_other_status_words(server, word, status):
    fal_submit(server)
    server.add("GET", "/openai/gpt-image-2/requests/r1/status", Reply(json={"status": word}))
    p = provider("fal", server)
    assert p.poll(p.submit(req("openai/gpt-image-2/edit")).handle).status is status


def test_fal_long_poll_returns_on_the_first_change(server):
    fal_submit(server)
    events = [
        b'data: {"status": "IN_QUEUE", "queue_position": 1}\n\n',
        b'data: {"status": "IN_QUEUE", "queue_position": 0}\n\n',
        b'data: {"status": "IN_PROGRESS", "logs": []}\n\n',
        b'data: {"status": "COMPLETED"}\n\n',
    ]
    server.add(
        "GET",
        "/openai/gpt-image-2/requests/r1/status/stream",
        Reply(headers={"Content-Type": "text/event-stream"}, chunks=events, gap=0.05),
    )
    p = provider("fal", server)
    r = p.poll(p.submit(req("openai/gpt-image-2/edit")).handle, wait=5)
    assert r.status is RemoteStatus.RUNNING
    assert (
        server.requests("GET", "/openai/gpt-image-2/requests/r1/status/stream")[0].headers["authorization"]
        == "Key KEY123"
    )


def test_fal_long_poll_without_change_falls_back_to_a_plain_status(server):
    fal_submit(server)
    server.add(
        "GET",
        "/openai/gpt-image-2/requests/r1/status/stream",
        Reply(headers={"Content-Type": "text/event-stream"}, chunks=[b": ping\n\n", b""], gap=3),
    )
    server.add(
        "GET",
        "/openai/gpt-image-2/requests/r1/status",
        Reply(202, json={"status": "IN_QUEUE", "queue_position": 2}),
    )
    p = provider("fal", server)
    r = p.poll(p.submit(req("openai/gpt-image-2/edit")).handle, wait=0.5)
    assert r.status is RemoteStatus.QUEUED and r.queue_position == 2


def test_fal_cancel(server):
    fal_submit(server)
    server.add(
        "PUT",
        "/openai/gpt-image-2/requests/r1/cancel",
        Reply(202, json={"status": "CANCELLATION_REQUESTED"}),
        Reply(400, json={"status": "ALREADY_COMPLETED"}),
    )
    p = provider("fal", server)
    h = p.submit(req("openai/gpt-image-2/edit")).handle
    p.cancel(h)
    p.cancel(h)  # already finished: nothing to do, no error
    assert len(server.requests("PUT")) == 2


def test_fal_error_shapes():
    assert (
        fal.error_detail({"detail": "Request timed out", "error_type": "request_timeout"}).message
        == "Request timed out"
    )
    assert (
        fal.error_detail({"detail": [{"loc": ["body", "prompt"], "msg": "Field required"}]}).message
        == "prompt: Field required"
    )


# --- fetch -------------------------------------------------------------------------------------------
def test_fetch_from_data_and_bytes_validates():
    p = p_("fal")
    assert p.fetch(OutputRef(url="data:image/png;base64," + B64)) == OUT
    assert p.fetch(OutputRef(data=OUT)) == OUT
    with pytest.raises(BadResponse):
        p.fetch(OutputRef(data=b"GIF89a-not-really"))
    with pytest.raises(BadResponse):
        p.fetch(OutputRef())


def test_fal_content_policy_422_is_moderation(server):
    server.add(
        "POST",
        "/openai/gpt-image-2/edit",
        Reply(
            422,
            json={
                "detail": [
                    {
                        "loc": ["body", "prompt"],
                        "msg": "The content was flagged by the content checker.",
                        "type": "content_policy_violation",
                    }
                ]
            },
        ),
    )
    with pytest.raises(ModerationBlocked, match="flagged by the content checker"):
        provider("fal", server).submit(req("openai/gpt-image-2/edit"))


def test_fal_completed_with_a_cancellation_error_is_cancelled(server):
    fal_submit(server)
    server.add(
        "GET",
        "/openai/gpt-image-2/requests/r1/status",
        Reply(
            json={"status": "COMPLETED", "error": "Request was cancelled", "error_type": "request_cancelled"}
        ),
    )
    p = provider("fal", server)
    r = p.poll(p.submit(req("openai/gpt-image-2/edit")).handle)
    assert r.status is RemoteStatus.CANCELLED and r.error is None


def test_failure_messages_end_with_exactly_one_mark():
    r = replicate.parse_prediction({"status": "failed", "error": "Sorry about that!"})
    assert str(r.error).endswith("Sorry about that!")
    r = eachlabs.parse_prediction({"status": "error", "error": "Rejected by the safety system."})
    assert ".." not in str(r.error) and isinstance(r.error, ModerationBlocked)


def test_fal_long_poll_ends_at_the_wait_even_with_only_keepalives(server):
    import time

    fal_submit(server)
    server.add(
        "GET",
        "/openai/gpt-image-2/requests/r1/status/stream",
        Reply(headers={"Content-Type": "text/event-stream"}, chunks=[b": ping\n\n"] * 120, gap=0.5),
    )
    server.add("GET", "/openai/gpt-image-2/requests/r1/status", Reply(202, json={"status": "IN_PROGRESS"}))
    p = provider("fal", server)
    h = p.submit(req("openai/gpt-image-2/edit")).handle
    t0 = time.monotonic()
    r = p.poll(h, wait=0.5)
    # the pings keep arriving for a minute; a poll that waited for the stream to end would take all of it (the
    # bound only tells the two apart, with room for any load)
    assert r.status is RemoteStatus.RUNNING and time.monotonic() - t0 < 30


def test_openai_sends_markup_as_a_file_part_and_complexity_only_when_chosen(server):
    server.add("POST", "/images/edits", Reply(json={"data": [{"b64_json": B64}]}))
    markup = png()
    provider("openai", server).submit(
        req(
            "gpt-image-2.6-sunburst",
            markup=ImageInput(markup),
            complexity=Complexity.MEDIUM,
            quality=Quality.XHIGH,
        )
    )
    provider("openai", server).submit(req("gpt-image-2.6-sunburst"))
    with_markup, plain = (r.body for r in server.requests("POST"))
    part = with_markup.split(b'name="markup"; filename="markup.png"', 1)[1].split(b"\r\n--", 1)[0]
    assert b"image/png" in part.split(b"\r\n\r\n", 1)[0] and part.split(b"\r\n\r\n", 1)[1] == markup
    assert b'name="complexity"\r\n\r\nmedium' in with_markup and b'name="quality"\r\n\r\nxhigh' in with_markup
    assert b'name="markup"' not in plain and b'name="complexity"' not in plain


def test_fal_names_the_markup_overlay_markup_image_url():
    from gptedit.providers.fal import FalProvider

    body = FalProvider(ProviderConfig("fal", "", "k")).create_payload(
        req("openai/gpt-image-2/edit", markup=ImageInput(png()))
    )
    assert body["markup_image_url"].startswith("data:image/png;base64,")
