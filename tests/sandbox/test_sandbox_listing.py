"""The listings a client uses to find its own recent jobs: Replicate's `GET /v1/predictions` (cursor pages,
created_after/created_before) and fal's request history (`/v1/models/requests/by-endpoint`: endpoint,
time range, cursor, payloads). each::labs and OpenAI's Images API document none."""

from __future__ import annotations

import base64
import time
from datetime import datetime, timezone

from sbhelpers import BEARER, FAL_KEY, data_url, encode, pattern, wait_for


def rep_create(sb, http, prompt):
    inp = {"prompt": prompt, "input_images": [data_url(encode(pattern()))]}
    r = http.post(
        f"{sb.base_urls['replicate']}/v1/models/openai/gpt-image-2/predictions",
        json={"input": inp},
        headers=BEARER,
    )
    assert r.status_code == 201
    return r.json()


def fal_submit(sb, http, prompt, endpoint="openai/gpt-image-2/edit"):
    r = http.post(
        f"{sb.base_urls['fal']}/{endpoint}",
        json={"prompt": prompt, "image_urls": [data_url(encode(pattern()))]},
        headers=FAL_KEY,
    )
    assert r.status_code == 200
    return r.json()


def stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_replicate_lists_newest_first_in_cursor_pages(sb, http):
    sb.configure(list_page_size=2)
    made = [rep_create(sb, http, f"edit {i}")["id"] for i in range(5)]
    url = f"{sb.base_urls['replicate']}/v1/predictions"
    seen, pages = [], 0
    while url:
        body = http.get(url, headers=BEARER).json()
        assert set(body) == {"next", "previous", "results"}
        assert (body["previous"] is None) == (pages == 0)
        seen += [p["id"] for p in body["results"]]
        for p in body["results"]:
            assert {"id", "model", "input", "status", "created_at", "urls", "source"} <= set(p)
            assert p["input"]["prompt"].startswith("edit ")
        url, pages = body["next"], pages + 1
    assert seen == made[::-1] and pages == 3
    assert sb.stats()["replicate"]["lists"] == 3


def test_replicate_list_filters_by_creation_time_and_needs_a_key(sb, http):
    first = rep_create(sb, http, "early")
    time.sleep(0.05)
    cut = time.time()
    second = rep_create(sb, http, "late")
    url = f"{sb.base_urls['replicate']}/v1/predictions"
    after = http.get(url, params={"created_after": stamp(cut)}, headers=BEARER).json()["results"]
    before = http.get(url, params={"created_before": stamp(cut)}, headers=BEARER).json()["results"]
    assert [p["id"] for p in after] == [second["id"]] and [p["id"] for p in before] == [first["id"]]
    assert http.get(url, params={"created_after": "yesterday"}, headers=BEARER).status_code == 400
    assert http.get(url).status_code == 401


def test_fal_history_lists_ended_requests_with_payloads_in_pages(sb, http):
    handles = [fal_submit(sb, http, f"edit {i}") for i in range(3)]
    fal_submit(sb, http, "elsewhere", endpoint="fal-ai/gpt-image-1.5/edit")
    for h in handles:
        wait_for(
            lambda h=h: http.get(h["status_url"], headers=FAL_KEY).json(),
            lambda b: b["status"] == "COMPLETED",
        )
    url = f"{sb.base_urls['fal']}/v1/models/requests/by-endpoint"
    params = {"endpoint_id": "openai/gpt-image-2/edit", "limit": 2, "expand": "payloads"}
    page1 = http.get(url, params=params, headers=FAL_KEY).json()
    assert page1["has_more"] is True and base64.b64decode(page1["next_cursor"]) == b"2"
    page2 = http.get(url, params={**params, "cursor": page1["next_cursor"]}, headers=FAL_KEY).json()
    assert page2["has_more"] is False and page2["next_cursor"] is None
    items = page1["items"] + page2["items"]
    assert sorted(i["request_id"] for i in items) == sorted(h["request_id"] for h in handles)
    for item in items:
        assert item["endpoint_id"] == "openai/gpt-image-2/edit" and item["status_code"] == 200
        assert {"sent_at", "started_at", "ended_at", "duration"} <= set(item)
        assert item["json_input"]["prompt"].startswith("edit ") and item["json_output"]["images"]
    plain = http.get(url, params={"endpoint_id": "openai/gpt-image-2/edit"}, headers=FAL_KEY).json()
    assert "json_input" not in plain["items"][0]


def test_fal_history_leaves_out_running_requests_and_checks_its_query(sb, http):
    sb.configure(latency=5.0)
    h = fal_submit(sb, http, "still running")
    url = f"{sb.base_urls['fal']}/v1/models/requests/by-endpoint"
    body = http.get(url, params={"endpoint_id": "openai/gpt-image-2/edit"}, headers=FAL_KEY).json()
    assert h["request_id"] not in [i["request_id"] for i in body["items"]]
    assert http.get(url, headers=FAL_KEY).status_code == 422  # endpoint_id is required
    assert http.get(url, params={"endpoint_id": "x/y", "limit": 500}, headers=FAL_KEY).status_code == 422
    assert http.get(url, params={"endpoint_id": "x/y"}).status_code == 401
    future = stamp(time.time() + 3600)
    later = http.get(url, params={"endpoint_id": "x/y", "start": future}, headers=FAL_KEY)
    assert later.json()["items"] == []
