"""OpenAI Images edits imitation: encodings, validation, base64 output, usage, SSE (docs/providers.md
"OpenAI")."""

from __future__ import annotations

import base64
import json
import threading

import pytest
from gptedit.sandbox.usage import gpt_image_2_output_tokens
from sbhelpers import BEARER, data_url, decode, encode, left_half_mask, pattern, wait_for


def edit(sb, http, images=None, field="image[]", mask=None, headers=BEARER, **fields):
    png = encode(pattern())
    files = [(field, (f"in{i}.png", data, "image/png")) for i, data in enumerate(images or [png])]
    if mask is not None:
        files.append(("mask", ("mask.png", mask, "image/png")))
    data = {"prompt": "make it nice", "model": "gpt-image-2", **{k: str(v) for k, v in fields.items()}}
    return http.post(sb.base_urls["openai"] + "/images/edits", headers=headers, files=files, data=data)


def sse_events(response):
    """(event, data) pairs from a text/event-stream body."""
    events, name = [], None
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            events.append((name, json.loads(line[5:].strip())))
            name = None
    return events


@pytest.mark.parametrize("field", ["image", "image[]"])
def test_multipart_edit_returns_b64_images_with_summary_and_usage(sb, http, field):
    sb.configure(latency=0.2)
    r = edit(sb, http, field=field, size="1024x1024", quality="high")
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["created"], int)
    assert (body["size"], body["quality"], body["output_format"]) == ("1024x1024", "high", "png")
    assert body["background"] in ("transparent", "opaque")
    img = decode(base64.b64decode(body["data"][0]["b64_json"]))
    assert img.size == (1024, 1024)
    usage = body["usage"]
    assert usage["output_tokens"] == 7024 == gpt_image_2_output_tokens(1024, 1024, "high")
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert (
        usage["input_tokens_details"]["image_tokens"] > 0 and usage["input_tokens_details"]["text_tokens"] > 0
    )
    assert r.headers["x-request-id"].startswith("req_")
    assert int(r.headers["openai-processing-ms"]) >= 150
    assert sb.stats()["jobs"][0]["request"]["image_field"] == field


def test_the_synchronous_request_is_answered_when_its_job_ends(sb, http):
    sb.configure(latency=0.0, hold="processing")  # the job cannot end until the test says so
    answer: dict = {}
    worker = threading.Thread(target=lambda: answer.update(r=edit(sb, http, size="1024x1024")), daemon=True)
    worker.start()
    job = wait_for(lambda: sb.stats()["jobs"], bool)[0]
    assert job["status"] == "processing" and not answer  # the request is still open
    sb.configure(hold=None)
    worker.join(60)  # only against a hang
    assert answer["r"].status_code == 200 and answer["r"].json()["data"][0]["b64_json"]


def test_json_body_with_data_urls(sb, http):
    png = encode(pattern())
    body = {
        "model": "gpt-image-2",
        "prompt": "[identity]",
        "images": [{"image_url": data_url(png)}] * 2,
        "mask": {"image_url": data_url(left_half_mask(48, 32))},
        "output_format": "webp",
    }
    r = http.post(sb.base_urls["openai"] + "/images/edits", json=body, headers=BEARER)
    assert r.status_code == 200, r.text
    assert decode(base64.b64decode(r.json()["data"][0]["b64_json"])).format == "WEBP"
    req = sb.stats()["jobs"][0]["request"]
    assert req["encoding"] == "json" and len(req["images"]) == 2 and req["mask"] is True


def test_json_file_ids_are_refused_with_the_param_named(sb, http):
    body = {"model": "gpt-image-2", "prompt": "x", "images": [{"file_id": "file-123"}]}
    r = http.post(sb.base_urls["openai"] + "/images/edits", json=body, headers=BEARER)
    assert r.status_code == 400 and r.json()["error"]["param"] == "images[0].file_id"


def test_n_images_come_back_as_n_entries(sb, http):
    r = edit(sb, http, n=3, prompt="[tint] warm")
    images = [base64.b64decode(d["b64_json"]) for d in r.json()["data"]]
    assert len(images) == 3 and len(set(images)) == 3  # tint variations differ
    r = edit(sb, http, n=2, prompt="[identity]")
    a, b = (base64.b64decode(d["b64_json"]) for d in r.json()["data"])
    assert a == b


@pytest.mark.parametrize(
    "fields,param",
    [
        ({"size": "1000x1000"}, "size"),  # not a multiple of 16
        ({"size": "3840x1024"}, "size"),  # ratio above 3:1
        ({"size": "4096x2048"}, "size"),  # edge above 3840
        ({"size": "512x512"}, "size"),  # too few pixels
        ({"model": "gpt-image-2.6-flare", "size": "3840x3840"}, "size"),  # 2.6 keeps the pixel limit
        ({"n": 0}, "n"),
        ({"n": 11}, "n"),
        ({"background": "transparent", "output_format": "jpeg"}, "background"),
        ({"prompt": ""}, "prompt"),
        ({"model": "gpt-image-9"}, "model"),
        ({"partial_images": 4}, "partial_images"),
        ({"quality": "ultra"}, "quality"),
    ],
)
def test_validation_errors_name_the_param(sb, http, fields, param):
    r = edit(sb, http, **fields)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["param"] == param and err["type"] == "invalid_request_error" and err["message"]
    assert set(err) >= {"message", "type", "param", "code"}
    assert sb.stats()["jobs"] == []


def test_valid_custom_gpt_image_2_size(sb, http):
    r = edit(sb, http, size="1536x864")
    assert r.status_code == 200
    assert decode(base64.b64decode(r.json()["data"][0]["b64_json"])).size == (1536, 864)


@pytest.mark.parametrize("problem", ["size", "jpeg", "no-alpha"])
def test_mask_must_be_a_png_with_alpha_of_the_image_size(sb, http, problem):
    if problem == "size":
        mask = left_half_mask(10, 10)
    elif problem == "jpeg":
        mask = encode(pattern(48, 32, alpha=False), "JPEG")
    else:
        mask = encode(pattern(48, 32, alpha=False))
    r = edit(sb, http, mask=mask)
    assert r.status_code == 400 and r.json()["error"]["param"] == "mask"


def test_image_count_and_presence(sb, http):
    png = encode(pattern())
    assert edit(sb, http, images=[png] * 16).status_code == 200
    r = edit(sb, http, images=[png] * 17)
    assert r.status_code == 400 and r.json()["error"]["param"] == "image"
    r = http.post(
        sb.base_urls["openai"] + "/images/edits",
        headers=BEARER,
        files={"prompt": (None, "x"), "model": (None, "gpt-image-2")},
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_required_parameter"


def test_transparent_background_on_gpt_image_2_is_configurable(sb, http):
    assert edit(sb, http, background="transparent").status_code == 200
    sb.configure(gpt_image_2_transparent="error")
    r = edit(sb, http, background="transparent")
    assert r.status_code == 400 and r.json()["error"]["param"] == "background"


def test_auth_failures(sb, http):
    r = edit(sb, http, headers={})
    assert r.status_code == 401 and "API key" in r.json()["error"]["message"]
    r = edit(sb, http, headers={"Authorization": "Bearer invalid"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"


def test_stream_sends_partials_then_completed_with_usage(sb, http):
    sb.configure(latency=0.2)
    with edit(sb, http, stream="true", partial_images=2, prompt="[identity]") as r:
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
        events = sse_events(r)
    names = [name for name, _ in events]
    assert names == ["image_edit.partial_image", "image_edit.partial_image", "image_edit.completed"]
    assert [d["partial_image_index"] for _, d in events[:2]] == [0, 1]
    for _, d in events:
        assert {"type", "b64_json", "created_at", "size", "quality", "background", "output_format"} <= set(d)
    done = events[-1][1]
    assert done["type"] == "image_edit.completed" and done["usage"]["output_tokens"] > 0
    assert decode(base64.b64decode(done["b64_json"])).tobytes() == pattern().tobytes()
    stats = sb.stats()["openai"]
    assert stats["stream_requests"] == 1 and stats["creates"] == 1


def test_stream_without_partials_is_one_completed_event(sb, http):
    with edit(sb, http, stream="true") as r:
        assert [n for n, _ in sse_events(r)] == ["image_edit.completed"]


def test_stream_error_event_mid_stream(sb, http):
    sb.inject("openai", "stream", "stream_error", after_events=1)
    with edit(sb, http, stream="true", partial_images=3) as r:
        events = sse_events(r)
    assert [n for n, _ in events] == ["image_edit.partial_image", "error"]
    assert "error" in events[-1][1] and events[-1][1]["error"]["message"]


def test_moderation_fault_and_outcome(sb, http):
    sb.inject("openai", "create", "moderation")
    r = edit(sb, http)
    err = r.json()["error"]
    assert r.status_code == 400 and err["code"] == "moderation_blocked"
    assert err["moderation_details"]["moderation_stage"] == "input"
    sb.configure(outcome="moderation")
    r = edit(sb, http)
    assert r.status_code == 400 and r.json()["error"]["moderation_details"]["moderation_stage"] == "output"


def test_rate_limit_and_quota_are_both_429_but_distinguishable(sb, http):
    sb.inject("openai", "create", "http_429", retry_after=2)
    sb.inject("openai", "create", "quota")
    r = edit(sb, http)
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limit_exceeded"
    assert r.headers["retry-after"] == "2" and r.headers["retry-after-ms"] == "2000"
    r = edit(sb, http)
    assert r.status_code == 429 and r.json()["error"]["code"] == "insufficient_quota"
    assert "retry-after" not in r.headers


def test_server_errors_and_failed_outcome(sb, http):
    sb.inject("openai", "create", "http_503")
    r = edit(sb, http)
    assert r.status_code == 503 and r.json()["error"]["type"] == "server_error"
    sb.configure(outcome="error")
    assert edit(sb, http).status_code == 500


def test_truncated_b64_image(sb, http):
    sb.inject("openai", "create", "truncated_image")
    raw = base64.b64decode(edit(sb, http).json()["data"][0]["b64_json"])
    with pytest.raises(OSError):
        decode(raw)


def test_dall_e_2_answers_with_a_download_url(sb, http):
    sb.configure(today="2026-05-01")  # dall-e-2 was shut down on 2026-05-12
    square = encode(pattern(32, 32))
    r = edit(sb, http, images=[square], model="dall-e-2", size="256x256")
    assert r.status_code == 200, r.text
    url = r.json()["data"][0]["url"]
    assert url.startswith(sb.cdn_url) and decode(http.get(url).content).size == (256, 256)


# --- GPT Image 2.5 / 2.6: tiers, complexity, markup, shutdowns -------------------------------------------


def markup_overlay(width=48, height=32):
    """Transparent except a red stroke (rows 10-12) and a half-transparent blue dot at (40, 5)."""
    from PIL import Image

    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    for x in range(5, 30):
        for y in range(10, 13):
            img.putpixel((x, y), (255, 0, 0, 255))
    img.putpixel((40, 5), (0, 0, 255, 128))
    return img


def edit_with_markup(sb, http, markup_png, **fields):
    png = encode(pattern())
    files = [("image", ("in.png", png, "image/png")), ("markup", ("markup.png", markup_png, "image/png"))]
    data = {
        "prompt": "[identity] move the lamp here",
        "model": "gpt-image-2.6-sunburst",
        **{k: str(v) for k, v in fields.items()},
    }
    return http.post(sb.base_urls["openai"] + "/images/edits", headers=BEARER, files=files, data=data)


def test_markup_edit_paints_exactly_the_drawn_pixels(sb, http):
    overlay = markup_overlay()
    r = edit_with_markup(sb, http, encode(overlay), complexity="low", quality="max")
    assert r.status_code == 200, r.text
    out = decode(base64.b64decode(r.json()["data"][0]["b64_json"])).convert("RGBA")
    src = pattern()
    for x, y in ((5, 10), (29, 12), (17, 11)):
        assert out.getpixel((x, y)) == (255, 0, 0, 255)
    assert out.getpixel((40, 5)) == (0, 0, 255, 255)  # drawn at all: painted with the stroke's colour
    for x, y in ((0, 0), (4, 10), (30, 11), (17, 13), (47, 31)):
        assert out.getpixel((x, y)) == src.getpixel((x, y))  # untouched where nothing is drawn
    job = sb.stats()["jobs"][-1]["request"]
    assert (
        job["markup_image"]["width"] == 48
        and job["complexity"] == "low"
        and job["params"]["quality"] == "max"
    )


@pytest.mark.parametrize(
    ("model", "fields", "param", "code"),
    [
        ("gpt-image-2.5-flare", {"complexity": "low"}, "complexity", "unknown_parameter"),
        ("gpt-image-2", {"quality": "xhigh"}, "quality", "invalid_value"),
        ("gpt-image-2.6-flare", {"complexity": "extreme"}, "complexity", "invalid_value"),
    ],
)
def test_new_parameters_only_where_the_model_has_them(sb, http, model, fields, param, code):
    r = edit(sb, http, model=model, **fields)
    assert r.status_code == 400 and r.json()["error"]["param"] == param and r.json()["error"]["code"] == code


def test_markup_is_refused_by_models_without_it_and_when_the_size_differs(sb, http):
    overlay = encode(markup_overlay())
    r = edit_with_markup(sb, http, overlay, model="gpt-image-2.5-sunburst")
    assert r.status_code == 400 and r.json()["error"]["param"] == "markup"
    r = edit_with_markup(sb, http, encode(markup_overlay(48, 48)))
    assert r.status_code == 400 and "size" in r.json()["error"]["message"]


def test_a_shut_down_model_no_longer_exists(sb, http):
    sb.configure(today="2026-11-30")
    assert edit(sb, http, model="gpt-image-1.5").status_code == 200
    sb.configure(today="2026-12-01")
    r = edit(sb, http, model="gpt-image-1.5")
    assert r.status_code == 404
    assert r.json()["error"] == {
        "message": "The model `gpt-image-1.5` does not exist or you do not have access to it.",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }


def test_model_list_names_what_is_still_served(sb, http):
    sb.configure(today="2026-12-01")
    r = http.get(sb.base_urls["openai"] + "/models", headers=BEARER)
    ids = {m["id"] for m in r.json()["data"]}
    assert {"gpt-image-2.6-sunburst", "gpt-image-2.6-flare", "gpt-image-2"} <= ids
    assert not {"gpt-image-1.5", "gpt-image-1", "dall-e-2"} & ids
