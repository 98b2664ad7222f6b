"""fal queue imitation: submit, 202/200 status, status stream, result, cancel, 422s (docs/providers.md
"fal")."""

from __future__ import annotations

import json
import time

import pytest
from sbhelpers import FAL_KEY, data_url, decode, encode, left_half_mask, pattern, wait_for


def submit(sb, http, endpoint="openai/gpt-image-2/edit", headers=FAL_KEY, **body):
    body.setdefault("prompt", "make it nice")
    body.setdefault("image_urls", [data_url(encode(pattern()))])
    return http.post(f"{sb.base_urls['fal']}/{endpoint}", json=body, headers=headers)


def status(http, handle, logs=False):
    return http.get(handle["status_url"], params={"logs": 1} if logs else None, headers=FAL_KEY)


def finish(http, handle):
    return wait_for(lambda: status(http, handle), lambda r: r.status_code == 200)


def test_submit_returns_urls_without_the_sub_path(sb, http):
    r = submit(sb, http)
    assert r.status_code == 200 and r.headers["x-fal-request-id"]
    h = r.json()
    rid = h["request_id"]
    base = f"{sb.base_urls['fal']}/openai/gpt-image-2/requests/{rid}"
    assert (h["response_url"], h["status_url"], h["cancel_url"]) == (base, base + "/status", base + "/cancel")
    assert h["status"] == "IN_QUEUE"
    # the sub-path form is not where the request lives
    wrong = f"{sb.base_urls['fal']}/openai/gpt-image-2/edit/requests/{rid}/status"
    assert http.get(wrong, headers=FAL_KEY).status_code in (404, 405)


def test_status_is_202_while_queued_or_running_then_200_completed(sb, http):
    # the hold steps the request through its phases at the test's pace, whatever the machine's speed
    sb.configure(latency=0.05, walk={"queued": 0.4, "starting": 0.1}, hold="queued")
    h = submit(sb, http).json()
    time.sleep(0.1)  # past the job's whole latency: from here on only the hold decides its phase
    seen = []
    for phase in ("queued", "starting", "processing", None):
        sb.configure(hold=phase)
        r = status(http, h, logs=True)
        body = r.json()
        seen.append((r.status_code, body["status"], body.get("queue_position")))
    assert [(code, word) for code, word, _ in seen] == [
        (202, "IN_QUEUE"),
        (202, "IN_QUEUE"),
        (202, "IN_PROGRESS"),
        (200, "COMPLETED"),
    ]
    positions = [p for _, s, p in seen if s == "IN_QUEUE"]
    assert positions == sorted(positions, reverse=True) and all(p >= 0 for p in positions)
    assert body["metrics"]["inference_time"] >= 0 and body["error"] is None and isinstance(body["logs"], list)


def test_logs_only_when_asked(sb, http):
    h = submit(sb, http).json()
    body = finish(http, h).json()
    assert body["logs"] is None
    assert status(http, h, logs=True).json()["logs"]


def test_result_has_images_with_metadata_and_downloadable_urls(sb, http):
    sb.configure(latency=0.3)
    h = submit(sb, http, image_size="landscape_4_3", num_images=2).json()
    early = http.get(h["response_url"], headers=FAL_KEY)
    assert early.status_code == 400  # not finished yet
    finish(http, h)
    r = http.get(h["response_url"], headers=FAL_KEY)
    assert r.status_code == 200
    images = r.json()["images"]
    assert len(images) == 2
    for item in images:
        assert set(item) >= {"url", "content_type", "file_name", "width", "height"}
        assert (item["width"], item["height"]) == (1024, 768)
        img = decode(http.get(item["url"]).content)
        assert img.size == (1024, 768) and item["content_type"] == "image/png"
    assert r.json()["usage"]["output_tokens"] > 0


def test_custom_image_size_and_sync_mode_data_uri(sb, http):
    h = submit(sb, http, image_size={"width": 1024, "height": 1536}, sync_mode=True).json()
    finish(http, h)
    item = http.get(h["response_url"], headers=FAL_KEY).json()["images"][0]
    assert item["url"].startswith("data:image/png;base64,") and (item["width"], item["height"]) == (
        1024,
        1536,
    )


def test_status_stream_sends_sse_until_completed(sb, http):
    sb.configure(latency=0.4)
    h = submit(sb, http).json()
    with http.get(h["status_url"] + "/stream", headers=FAL_KEY, stream=True) as r:
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
        events = [
            json.loads(line[5:]) for line in r.iter_lines(decode_unicode=True) if line.startswith("data:")
        ]
    statuses = [e["status"] for e in events]
    assert statuses[0] == "IN_QUEUE" and statuses[-1] == "COMPLETED" and "IN_PROGRESS" in statuses
    assert sb.stats()["fal"]["stream_requests"] == 1


def test_stream_error_ends_the_stream_early(sb, http):
    sb.configure(latency=0.5)
    sb.inject("fal", "stream", "stream_error", after_events=1)
    h = submit(sb, http).json()
    with http.get(h["status_url"] + "/stream", headers=FAL_KEY, stream=True) as r:
        events = [
            json.loads(line[5:]) for line in r.iter_lines(decode_unicode=True) if line.startswith("data:")
        ]
    assert len(events) == 1 and events[0]["status"] != "COMPLETED"


def test_cancel_in_queue_then_already_completed_and_not_found(sb, http):
    sb.configure(latency=5)
    h = submit(sb, http).json()
    r = http.put(h["cancel_url"], headers=FAL_KEY)
    assert (r.status_code, r.json()) == (202, {"status": "CANCELLATION_REQUESTED"})
    body = status(http, h).json()
    assert body["status"] == "COMPLETED" and body["error_type"] == "request_cancelled"
    r = http.put(h["cancel_url"], headers=FAL_KEY)
    assert (r.status_code, r.json()) == (400, {"status": "ALREADY_COMPLETED"})
    missing = h["cancel_url"].replace(h["request_id"], "00000000-0000-0000-0000-000000000000")
    r = http.put(missing, headers=FAL_KEY)
    assert (r.status_code, r.json()) == (404, {"status": "NOT_FOUND"})


def test_queued_requests_are_always_removed_but_running_ones_may_finish(sb, http):
    sb.configure(latency=1.0, walk={"queued": 0.3, "starting": 0.0}, cancel_wins=False)
    queued = submit(sb, http).json()
    assert http.put(queued["cancel_url"], headers=FAL_KEY).status_code == 202
    running = submit(sb, http).json()
    wait_for(lambda: status(http, running).json()["status"], lambda s: s != "IN_QUEUE")
    assert http.put(running["cancel_url"], headers=FAL_KEY).status_code == 202
    assert finish(http, queued).json()["error_type"] == "request_cancelled"
    assert finish(http, running).json()["error"] is None
    assert http.get(running["response_url"], headers=FAL_KEY).status_code == 200


def test_cancelled_status_word_is_configurable(sb, http):
    sb.configure(latency=5, fal_cancelled_status="CANCELLED")
    h = submit(sb, http).json()
    http.put(h["cancel_url"], headers=FAL_KEY)
    assert status(http, h).json()["status"] == "CANCELLED"


@pytest.mark.parametrize(
    "body,loc",
    [
        ({"image_size": "huge"}, ["body", "image_size"]),
        ({"image_size": {"width": 1000, "height": 1000}}, ["body", "image_size"]),
        ({"num_images": 5}, ["body", "num_images"]),
        ({"output_format": "gif"}, ["body", "output_format"]),
        ({"image_urls": ["https://example.invalid/x.png"]}, ["body", "image_urls", 0]),
        ({"prompt": ""}, ["body", "prompt"]),
    ],
)
def test_validation_errors_are_422_detail_lists(sb, http, body, loc):
    r = submit(sb, http, **body)
    assert r.status_code == 422 and r.headers["X-Fal-Retryable"] == "false"
    detail = r.json()["detail"]
    assert isinstance(detail, list) and detail[0]["loc"] == loc and detail[0]["msg"] and detail[0]["type"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer test-key"}, {"Authorization": "Key invalid"}]
)
def test_auth_needs_the_key_scheme(sb, http, headers):
    r = submit(sb, http, headers=headers)
    assert r.status_code == 401 and r.json()["detail"]


def test_moderation_is_completed_with_error_and_a_422_result(sb, http):
    sb.configure(outcome="moderation")
    h = submit(sb, http).json()
    body = finish(http, h).json()
    assert body["status"] == "COMPLETED" and body["error_type"] == "content_policy_violation"
    r = http.get(h["response_url"], headers=FAL_KEY)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "content_policy_violation"


def test_moderation_fault_can_refuse_at_submit(sb, http):
    sb.inject("fal", "create", "moderation", immediate=True)
    r = submit(sb, http)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "content_policy_violation"
    assert sb.stats()["jobs"] == []


def test_failed_run_result_is_500_with_error_type(sb, http):
    sb.configure(outcome="error")
    h = submit(sb, http).json()
    assert finish(http, h).json()["error"]
    r = http.get(h["response_url"], headers=FAL_KEY)
    assert r.status_code == 500 and r.headers["X-Fal-Error-Type"] == r.json()["error_type"]


def test_mask_url_limits_the_edit(sb, http):
    img = pattern()
    h = submit(
        sb,
        http,
        prompt="[invert]",
        image_urls=[data_url(encode(img))],
        mask_url=data_url(left_half_mask(*img.size)),
    ).json()
    finish(http, h)
    url = http.get(h["response_url"], headers=FAL_KEY).json()["images"][0]["url"]
    out = decode(http.get(url).content).convert("RGBA")
    r, g, b, a = img.getpixel((1, 1))
    assert out.getpixel((1, 1)) == (255 - r, 255 - g, 255 - b, a)
    assert out.getpixel((img.width - 1, 1)) == img.getpixel((img.width - 1, 1))
    assert sb.stats()["jobs"][0]["request"]["mask"] is True
