"""each::labs imitation: the wire protocol a client sees (docs/providers.md "each::labs" and
"The sandbox")."""

from __future__ import annotations

import time

import pytest
from sbhelpers import BEARER, data_url, decode, eachlabs_upload, encode, pattern, wait_for

TERMINAL = ("success", "error", "cancelled")


def create(sb, http, urls, headers=BEARER, path="/v1/prediction", **inp):
    body = {
        "model": inp.pop("model", "gpt-image-v2-edit"),
        "version": "0.0.1",
        "input": {"prompt": inp.pop("prompt", "make it nice"), "image_urls": urls, **inp},
        "webhook_url": "",
    }
    return http.post(sb.base_urls["eachlabs"] + path, json=body, headers=headers)


def get(sb, http, pid):
    return http.get(f"{sb.base_urls['eachlabs']}/v1/prediction/{pid}", headers=BEARER)


def finish(sb, http, pid):
    return wait_for(lambda: get(sb, http, pid).json(), lambda b: b["status"] in TERMINAL)


@pytest.fixture
def url(sb, http):
    return eachlabs_upload(sb, http, encode(pattern()))


def test_create_answers_200_with_capital_id_and_walks_the_documented_statuses(sb, http, url):
    # the hold steps the prediction through its phases at the test's pace, whatever the machine's speed
    sb.configure(latency=0.05, walk={"queued": 0.3, "starting": 0.3}, hold="queued")
    r = create(sb, http, [url])
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "success" and body["message"] == "Prediction created successfully"
    pid = body["predictionID"]
    time.sleep(0.1)  # past the job's whole latency: from here on only the hold decides its phase
    seen = []
    for phase in ("queued", "starting", "processing", None):
        sb.configure(hold=phase)
        seen.append(get(sb, http, pid).json()["status"])
    assert seen == ["created", "starting", "processing", "success"]


def test_finished_prediction_has_output_metrics_urls_and_null_logs(sb, http, url):
    pid = create(sb, http, [url]).json()["predictionID"]
    body = finish(sb, http, pid)
    assert body["id"] == pid and body["status"] == "success" and body["logs"] is None
    assert body["input"]["image_urls"] == [url]
    assert isinstance(body["output"], list) and len(body["output"]) == 1
    assert body["metrics"]["cost"] > 0 and body["metrics"]["predict_time"] >= 0
    assert body["urls"]["get"] == f"{sb.base_urls['eachlabs']}/v1/prediction/{pid}"
    assert body["urls"]["cancel"] == body["urls"]["get"] + "/cancel"
    img = decode(http.get(body["output"][0]).content)
    assert img.size == (1024, 1024)  # no image_size: the documented default, whatever the input's shape


def test_trailing_slash_and_x_api_key_are_accepted(sb, http, url):
    r = create(sb, http, [url], headers={"X-API-Key": "smk_old_style"}, path="/v1/prediction/")
    assert r.status_code == 200
    job = sb.stats()["jobs"][0]
    assert job["request"]["auth"] == "x-api-key"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer invalid"}, {"X-API-Key": "invalid"}])
def test_missing_or_invalid_key_is_401_with_documented_body(sb, http, url, headers):
    r = create(sb, http, [url], headers=headers)
    assert r.status_code == 401
    assert r.json() == {"error": "Invalid or missing API key"}
    assert r.headers.get("X-Request-Id")
    assert sb.stats()["jobs"] == []


def test_model_is_required_and_unknown_slugs_are_refused(sb, http, url):
    base = sb.base_urls["eachlabs"]
    r = http.post(
        base + "/v1/prediction", json={"input": {"prompt": "x", "image_urls": [url]}}, headers=BEARER
    )
    assert (r.status_code, r.json()["error"]) == (400, "model field is required")
    r = create(sb, http, [url], model="gpt-image-v9-edit")
    assert r.status_code == 404
    r = create(sb, http, [url], model="gpt-image-v1-5-edit")
    assert r.status_code == 200


@pytest.mark.parametrize("bad", ["data-url", "foreign", "not-uploaded"])
def test_input_images_must_come_from_the_upload_flow(sb, http, bad):
    png = encode(pattern())
    url = {
        "data-url": data_url(png),
        "foreign": "https://example.invalid/a.png",
        "not-uploaded": sb.cdn_url + "/eachlabs/uploads/nothing.png",
    }[bad]
    r = create(sb, http, [url])
    assert r.status_code == 400
    body = r.json()
    assert (
        body["error"] == "Invalid input for model"
        and body["status"] == 400
        and "image_urls[0]" in body["details"]
    )
    assert sb.stats()["jobs"] == []


@pytest.mark.parametrize("shape", ["array", "string", "object", "object_list"])
def test_every_output_shape(sb, http, url, shape):
    sb.configure(output_shape={"eachlabs": shape})
    body = finish(sb, http, create(sb, http, [url], image_size="auto").json()["predictionID"])
    out = body["output"]
    link = {
        "array": lambda o: o[0],
        "string": lambda o: o,
        "object": lambda o: o["url"],
        "object_list": lambda o: o[0]["url"],
    }[shape](out)
    assert isinstance(link, str) and link.startswith(sb.cdn_url)
    assert decode(http.get(link).content).size == pattern().size


def test_num_images_and_image_size_shape_the_outputs(sb, http, url):
    body = finish(
        sb,
        http,
        create(sb, http, [url], num_images=3, image_size="1024x640", output_format="webp").json()[
            "predictionID"
        ],
    )
    assert len(body["output"]) == 3
    for link in body["output"]:
        img = decode(http.get(link).content)
        assert (img.format, img.size) == ("WEBP", (1024, 640))


@pytest.mark.parametrize(
    "field,value",
    [
        ("image_size", "1000x1000"),
        ("image_size", "4096x1024"),
        ("num_images", 0),
        ("output_format", "gif"),
        ("prompt", ""),
    ],
)
def test_invalid_input_is_400_with_details(sb, http, url, field, value):
    r = create(sb, http, [url], **{field: value})
    assert r.status_code == 400
    assert field in r.json()["details"]


def test_v1_5_only_takes_its_three_sizes(sb, http, url):
    assert create(sb, http, [url], model="gpt-image-v1-5-edit", image_size="1024x768").status_code == 400
    assert create(sb, http, [url], model="gpt-image-v1-5-edit", image_size="1024x1536").status_code == 200


@pytest.mark.parametrize(
    "outcome,category", [("error", "provider_error"), ("moderation", "content_moderation")]
)
def test_failures_end_in_error_with_an_envelope_in_output(sb, http, url, outcome, category):
    sb.configure(outcome=outcome)
    body = finish(sb, http, create(sb, http, [url]).json()["predictionID"])
    assert body["status"] == "error"
    env = body["output"]
    assert env["success"] is False and env["error_message"] and env["classification"]["category"] == category
    assert env["execution_id"] == body["id"] and env["model_slug"] == "gpt-image-v2-edit"


def test_remote_cancellation_is_spelled_with_two_ls(sb, http, url):
    sb.configure(outcome="cancelled-remotely")
    body = finish(sb, http, create(sb, http, [url]).json()["predictionID"])
    assert body["status"] == "cancelled" and body["output"] is None


def test_cancel_stops_a_running_prediction(sb, http, url):
    sb.configure(latency=5)
    pid = create(sb, http, [url]).json()["predictionID"]
    r = http.post(f"{sb.base_urls['eachlabs']}/v1/prediction/{pid}/cancel", headers=BEARER)
    assert r.status_code == 200
    assert r.json() == {
        "status": "cancelled",
        "message": "Prediction canceled successfully",
        "predictionID": pid,
    }
    assert get(sb, http, pid).json()["status"] == "cancelled"
    assert sb.stats()["eachlabs"]["cancels"] == 1


def test_cancel_is_best_effort_when_configured(sb, http, url):
    sb.configure(latency=0.3, cancel_wins=False)
    pid = create(sb, http, [url]).json()["predictionID"]
    assert (
        http.post(f"{sb.base_urls['eachlabs']}/v1/prediction/{pid}/cancel", headers=BEARER).status_code == 200
    )
    assert finish(sb, http, pid)["status"] == "success"


def test_unknown_prediction_is_404(sb, http):
    r = get(sb, http, "no-such-id")
    assert (r.status_code, r.json()) == (404, {"error": "Prediction not found"})
    assert r.headers["X-Request-Id"]


def test_concurrency_cap_answers_429_and_does_not_create(sb, http, url):
    sb.configure(latency=10, max_inflight=2)
    assert create(sb, http, [url]).status_code == 200
    assert create(sb, http, [url]).status_code == 200
    r = create(sb, http, [url])
    assert r.status_code == 429
    body = r.json()
    assert body["status"] == 429 and body["error"] == "too many requests" and "concurrent" in body["details"]
    stats = sb.stats()
    assert len(stats["jobs"]) == 2 and stats["eachlabs"]["rejected_creates"] == 1


def test_injected_402_and_429_use_the_documented_bodies(sb, http, url):
    sb.inject("eachlabs", "create", "http_402")
    sb.inject("eachlabs", "create", "http_429", retry_after=3)
    r = create(sb, http, [url])
    assert r.status_code == 402 and r.json()["error"] == "payment required" and r.json()["details"]
    r = create(sb, http, [url])
    assert r.status_code == 429 and r.headers["Retry-After"] == "3" and r.headers["X-Request-Id"]
    assert create(sb, http, [url]).status_code == 200
    assert len(sb.stats()["jobs"]) == 1


def test_stats_report_what_the_client_sent(sb, http):
    img = pattern(40, 30)
    url = eachlabs_upload(sb, http, encode(img))
    mask = eachlabs_upload(sb, http, encode(pattern(40, 30)))
    create(sb, http, [url], prompt="[invert] sky", mask_url=mask, quality="low", num_images=2)
    job = sb.stats()["jobs"][0]
    assert job["provider"] == "eachlabs" and job["model"] == "gpt-image-v2-edit"
    req = job["request"]
    assert req["prompt"] == "[invert] sky" and req["mask"] is True
    assert req["images"][0]["width"] == 40 and req["images"][0]["height"] == 30
    assert req["params"]["num_images"] == 2 and req["quality"] == "low" and req["version"] == "0.0.1"
    assert job["edit"] == "invert"


def test_sync_run_is_refused_and_model_catalogue_is_public(sb, http):
    base = sb.base_urls["eachlabs"]
    assert http.post(base + "/v1/prediction/run", json={}, headers=BEARER).status_code == 400
    r = http.get(base + "/v1/model", params={"slug": "gpt-image-v2-edit"})
    assert r.status_code == 200 and "image_urls" in r.json()["request_schema"]["properties"]
