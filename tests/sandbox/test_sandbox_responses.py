"""The sandbox's OpenAI Responses API (background mode with the image-generation tool), on the wire."""

from __future__ import annotations

import base64
import time

from sbhelpers import BEARER, data_url, decode, encode, left_half_mask, pattern


def body(image: bytes, **tool) -> dict:
    return {
        "model": "gpt-4.1-mini",
        "background": True,
        "store": True,
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "[invert] flip it"},
                    {"type": "input_image", "image_url": data_url(image), "detail": "auto"},
                ],
            }
        ],
        "tools": [{"type": "image_generation", "model": "gpt-image-2", "action": "edit", **tool}],
        "tool_choice": {"type": "image_generation"},
    }


def url(sb, rest: str = "") -> str:
    return sb.base_urls["openai-responses"] + "/responses" + rest


def until_done(sb, http, rid: str, timeout: float = 5.0) -> dict:
    end = time.monotonic() + timeout
    seen = []
    while time.monotonic() < end:
        obj = http.get(url(sb, "/" + rid), headers=BEARER).json()
        seen.append(obj["status"])
        if obj["status"] not in ("queued", "in_progress"):
            obj["seen"] = seen
            return obj
        time.sleep(0.02)
    raise AssertionError(f"still {seen[-1]}")


def test_background_create_answers_queued_then_the_image_arrives(sb, http):
    # The hold walks the response through its states at the test's pace, whatever the machine's speed.
    sb.configure(latency=0.0, hold="queued")
    img = pattern()
    r = http.post(url(sb), json=body(encode(img)), headers=BEARER)
    assert r.status_code == 200 and r.headers["x-request-id"].startswith("req_")
    created = r.json()
    assert (
        created["status"] == "queued" and created["id"].startswith("resp_") and created["background"] is True
    )
    assert http.get(url(sb, "/" + created["id"]), headers=BEARER).json()["status"] == "queued"
    sb.configure(hold="processing")
    running = http.get(url(sb, "/" + created["id"]), headers=BEARER).json()
    call = next(o for o in running["output"] if o["type"] == "image_generation_call")
    assert running["status"] == "in_progress" and call["status"] == "generating" and call["result"] is None
    sb.configure(hold=None)
    done = until_done(sb, http, created["id"])
    assert done["status"] == "completed" and done["seen"] == ["completed"]
    call = next(o for o in done["output"] if o["type"] == "image_generation_call")
    assert call["status"] == "completed" and call["size"] == f"{img.width}x{img.height}"
    out = decode(base64.b64decode(call["result"]))
    r0, g0, b0, a0 = img.getpixel((3, 3))
    assert out.convert("RGBA").getpixel((3, 3)) == (255 - r0, 255 - g0, 255 - b0, a0)
    assert done["usage"]["input_tokens"] > 0 and done["usage"]["output_tokens"] > 0


def test_without_background_the_create_holds_until_the_end(sb, http):
    req = body(encode(pattern()))
    del req["background"]
    obj = http.post(url(sb), json=req, headers=BEARER).json()
    assert obj["status"] == "completed" and obj["background"] is False


def test_an_image_model_as_the_response_model_is_refused(sb, http):
    req = body(encode(pattern()))
    req["model"] = "gpt-image-2"
    r = http.post(url(sb), json=req, headers=BEARER)
    assert r.status_code == 400 and r.json()["error"]["param"] == "model"
    assert sb.stats()["jobs"] == []


def test_tool_options_are_checked_for_the_image_model(sb, http):
    r = http.post(url(sb), json=body(encode(pattern()), size="1000x1000"), headers=BEARER)
    assert r.status_code == 400 and r.json()["error"]["param"] == "tools[0].size"
    r = http.post(url(sb), json=body(encode(pattern()), quality="ultra"), headers=BEARER)
    assert r.status_code == 400 and r.json()["error"]["param"] == "tools[0].quality"
    req = body(encode(pattern()))
    req["tools"].append({"type": "web_search_preview"})
    assert http.post(url(sb), json=req, headers=BEARER).status_code == 400


def test_the_mask_is_a_data_url_or_bare_base64_the_size_of_the_image(sb, http):
    img = pattern()
    mask = left_half_mask(img.width, img.height)
    for spelling, value in (("data_url", data_url(mask)), ("base64", base64.b64encode(mask).decode())):
        r = http.post(url(sb), json=body(encode(img), input_image_mask={"image_url": value}), headers=BEARER)
        assert r.status_code == 200, r.text
        assert sb.stats()["jobs"][-1]["request"]["mask_encoding"] == spelling
    wrong = left_half_mask(img.width + 2, img.height)
    r = http.post(
        url(sb), json=body(encode(img), input_image_mask={"image_url": data_url(wrong)}), headers=BEARER
    )
    assert r.status_code == 400 and "size" in r.json()["error"]["message"]


def test_cancel_only_for_background_responses_and_again_returns_the_final_one(sb, http):
    sb.configure(latency=5.0)
    rid = http.post(url(sb), json=body(encode(pattern())), headers=BEARER).json()["id"]
    first = http.post(url(sb, f"/{rid}/cancel"), headers=BEARER)
    assert first.status_code == 200 and first.json()["status"] == "cancelled"
    again = http.post(url(sb, f"/{rid}/cancel"), headers=BEARER)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert sb.stats()["openai-responses"]["cancels"] == 2
    sb.configure(latency=0.05)
    req = body(encode(pattern()))
    req["background"] = False
    rid = http.post(url(sb), json=req, headers=BEARER).json()["id"]
    r = http.post(url(sb, f"/{rid}/cancel"), headers=BEARER)
    assert r.status_code == 400


def test_unknown_ids_are_404_and_delete_removes_a_response(sb, http):
    r = http.get(url(sb, "/resp_nothing"), headers=BEARER)
    assert r.status_code == 404 and r.json()["error"]["message"].startswith("Response with id")
    rid = http.post(url(sb), json=body(encode(pattern())), headers=BEARER).json()["id"]
    gone = http.delete(url(sb, "/" + rid), headers=BEARER).json()
    assert gone == {"id": rid, "object": "response.deleted", "deleted": True}
    assert http.get(url(sb, "/" + rid), headers=BEARER).status_code == 404


def test_a_missing_key_is_401(sb, http):
    assert http.post(url(sb), json=body(encode(pattern()))).status_code == 401
