"""Replicate imitation: 201 creates, Prefer: wait, statuses, problem+json, data removal (docs/providers.md
"Replicate")."""

from __future__ import annotations

import threading
import time

import pytest
from sbhelpers import BEARER, data_url, decode, encode, pattern, wait_for

TERMINAL = ("succeeded", "failed", "canceled", "aborted")


def create(sb, http, model="openai/gpt-image-2", headers=None, **inp):
    inp.setdefault("prompt", "make it nice")
    inp.setdefault("input_images", [data_url(encode(pattern()))])
    return http.post(
        f"{sb.base_urls['replicate']}/v1/models/{model}/predictions",
        json={"input": inp},
        headers={**BEARER, **(headers or {})},
    )


def get(http, prediction):
    return http.get(prediction["urls"]["get"], headers=BEARER)


def finish(http, prediction):
    return wait_for(lambda: get(http, prediction).json(), lambda b: b["status"] in TERMINAL)


def test_create_is_201_and_the_prediction_walks_to_succeeded(sb, http):
    # the hold steps the prediction through its phases at the test's pace, whatever the machine's speed
    sb.configure(latency=0.05, walk={"queued": 0.3, "starting": 0.2}, hold="queued")
    r = create(sb, http)
    assert r.status_code == 201
    pred = r.json()
    assert pred["status"] == "starting" and pred["output"] is None and pred["error"] is None
    assert pred["model"] == "openai/gpt-image-2" and len(pred["id"]) == 26
    assert r.headers["ratelimit-remaining"] and "Preference-Applied" not in r.headers
    time.sleep(0.1)  # past the job's whole latency: from here on only the hold decides its phase
    seen = []
    for phase in ("starting", "processing", None):
        sb.configure(hold=phase)
        pred = get(http, pred).json()
        seen.append(pred["status"])
    assert seen == ["starting", "processing", "succeeded"]
    assert pred["created_at"] <= pred["started_at"] <= pred["completed_at"]
    assert pred["metrics"]["predict_time"] > 0 and pred["data_removed"] is False
    assert pred["urls"]["cancel"] == pred["urls"]["get"] + "/cancel"
    assert isinstance(pred["output"], list)
    img = decode(http.get(pred["output"][0]).content)
    assert img.format == "WEBP" and img.size == pattern().size  # webp is Replicate's default format


def test_string_output_shape(sb, http):
    sb.configure(output_shape={"replicate": "string"})
    pred = finish(http, create(sb, http, output_format="png").json())
    assert isinstance(pred["output"], str) and decode(http.get(pred["output"]).content).format == "PNG"


def test_prefer_wait_returns_early_when_the_prediction_finishes(sb, http):
    sb.configure(latency=0.0, hold="processing")  # the prediction cannot end until the test says so
    answer: dict = {}
    worker = threading.Thread(
        target=lambda: answer.update(r=create(sb, http, headers={"Prefer": "wait=60"})), daemon=True
    )
    worker.start()
    job = wait_for(lambda: sb.stats()["jobs"], bool)[0]
    assert job["status"] == "processing" and not answer  # the create is still waiting
    sb.configure(hold=None)
    worker.join(50)  # the prediction has ended: the answer comes now, not when the minute is up
    r = answer["r"]
    assert r.status_code == 201 and r.headers["Preference-Applied"] == "wait=60"
    assert r.json()["status"] == "succeeded" and r.json()["output"]


def test_prefer_wait_gives_up_after_n_seconds_with_a_running_prediction(sb, http):
    sb.configure(latency=6)
    start = time.monotonic()
    r = create(sb, http, headers={"Prefer": "wait=1"})
    assert time.monotonic() - start >= 0.9
    assert r.status_code == 201 and r.headers["Preference-Applied"] == "wait=1"
    assert r.json()["status"] in ("starting", "processing")


def test_bare_prefer_wait_is_echoed(sb, http):
    r = create(sb, http, headers={"Prefer": "wait"})
    assert r.headers["Preference-Applied"] == "wait" and r.json()["status"] == "succeeded"


@pytest.mark.parametrize(
    "inp,field",
    [
        ({"aspect_ratio": "16:9"}, "input.aspect_ratio"),
        ({"number_of_images": 2}, "input.number_of_images"),
        ({"background": "transparent"}, "input.background"),
        ({"input_images": ["https://example.invalid/a.png"]}, "input.input_images[0]"),
        ({"prompt": ""}, "input.prompt"),
    ],
)
def test_validation_is_422_problem_json(sb, http, inp, field):
    r = create(sb, http, **inp)
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 422 and body["title"] and body["detail"]
    assert body["invalid_fields"][0]["field"] == field


def test_older_models_allow_several_images(sb, http):
    sb.configure(today="2026-10-01")  # openai/gpt-image-1 stopped with gpt-image-1 on 2026-10-23
    pred = finish(http, create(sb, http, model="openai/gpt-image-1", number_of_images=2).json())
    assert len(pred["output"]) == 2


def test_aspect_ratio_picks_the_size_and_text_to_image_needs_no_input(sb, http):
    pred = finish(http, create(sb, http, aspect_ratio="2:3", output_format="png").json())
    assert decode(http.get(pred["output"][0]).content).size == (1024, 1536)
    pred = finish(http, create(sb, http, input_images=[], output_format="png").json())
    assert decode(http.get(pred["output"][0]).content).size == (1024, 1024)


def test_http_input_urls_from_the_sandbox_storage_are_fetched(sb, http):
    first = finish(http, create(sb, http, output_format="png").json())
    second = finish(
        http,
        create(sb, http, input_images=[first["output"][0]], prompt="[identity]", output_format="png").json(),
    )
    assert second["status"] == "succeeded"
    assert http.get(second["output"][0]).content  # an identity edit of the first output


@pytest.mark.parametrize(
    "headers,detail",
    [({"Authorization": ""}, "did not pass"), ({"Authorization": "Bearer invalid"}, "valid authentication")],
)
def test_auth_failures_are_problem_json(sb, http, headers, detail):
    r = create(sb, http, headers=headers)
    assert r.status_code == 401
    assert r.json()["title"] == "Unauthenticated" and detail in r.json()["detail"]


def test_unknown_model_and_prediction_are_404(sb, http):
    assert create(sb, http, model="someone/else").status_code == 404
    r = http.get(f"{sb.base_urls['replicate']}/v1/predictions/abcdefghijklmnopqrstuvwxyz", headers=BEARER)
    assert r.status_code == 404 and r.json()["status"] == 404


def test_cancel_returns_the_prediction_canceled_with_one_l(sb, http):
    sb.configure(latency=5)
    pred = create(sb, http).json()
    r = http.post(pred["urls"]["cancel"], headers=BEARER)
    assert r.status_code == 200 and r.json()["status"] == "canceled" and r.json()["id"] == pred["id"]
    assert get(http, pred).json()["status"] == "canceled"


def test_cancel_after_deadline_aborts_before_start(sb, http):
    sb.configure(latency=3, walk={"queued": 0.5, "starting": 0.2})
    pred = create(sb, http, headers={"Cancel-After": "100ms"}).json()
    assert pred["deadline"]
    done = wait_for(lambda: get(http, pred).json(), lambda b: b["status"] in TERMINAL, timeout=3)
    assert done["status"] == "aborted" and done["output"] is None


@pytest.mark.parametrize(
    "outcome,status,error",
    [
        ("error", "failed", "failed"),
        ("moderation", "failed", "flagged as sensitive"),
        ("cancelled-remotely", "canceled", None),
    ],
)
def test_outcomes(sb, http, outcome, status, error):
    sb.configure(outcome=outcome)
    pred = finish(http, create(sb, http).json())
    assert pred["status"] == status and pred["output"] is None
    assert (error is None and pred["error"] is None) or error in pred["error"]


def test_outputs_are_removed_after_the_retention_period(sb, http):
    sb.configure(replicate_data_removed_after=0.3)
    pred = finish(http, create(sb, http).json())
    url = pred["output"][0]
    assert http.get(url).status_code == 200
    time.sleep(0.4)
    later = get(http, pred).json()
    assert later["status"] == "succeeded" and later["output"] is None and later["data_removed"] is True
    assert later["input"] == {}
    assert http.get(url).status_code == 404


def test_throttling_uses_detail_and_ratelimit_headers(sb, http):
    sb.inject("replicate", "create", "http_429", retry_after=4)
    r = create(sb, http)
    assert r.status_code == 429
    assert r.json()["detail"].startswith("Request was throttled")
    assert r.headers["Retry-After"] == "4" and r.headers["ratelimit-remaining"] == "0"
    assert sb.stats()["jobs"] == []


def test_stats_record_the_replicate_request(sb, http):
    create(sb, http, aspect_ratio="3:2", openai_api_key="sk-user")
    req = sb.stats()["jobs"][0]["request"]
    assert req["params"]["aspect_ratio"] == "3:2" and req["sent_openai_api_key"] is True
    assert "openai_api_key" not in req["params"]  # a user's key never lands in test logs
