"""Injected faults across providers: dropped connections, broken JSON, slowness, gateway pages, statuses
nobody documented, lost answers after a create, and damaged downloads."""

from __future__ import annotations

import time

import pytest
import requests
from sbhelpers import BEARER, FAL_KEY, data_url, decode, eachlabs_upload, encode, pattern, wait_for


def each_create(sb, http, url, timeout=10):
    body = {"model": "gpt-image-v2-edit", "version": "0.0.1", "input": {"prompt": "x", "image_urls": [url]}}
    return http.post(sb.base_urls["eachlabs"] + "/v1/prediction", json=body, headers=BEARER, timeout=timeout)


def replicate_create(sb, http):
    body = {"input": {"prompt": "x", "input_images": [data_url(encode(pattern()))]}}
    return http.post(
        sb.base_urls["replicate"] + "/v1/models/openai/gpt-image-2/predictions", json=body, headers=BEARER
    )


def fal_submit(sb, http):
    body = {"prompt": "x", "image_urls": [data_url(encode(pattern()))]}
    return http.post(sb.base_urls["fal"] + "/openai/gpt-image-2/edit", json=body, headers=FAL_KEY)


@pytest.fixture
def url(sb, http):
    return eachlabs_upload(sb, http, encode(pattern()))


def test_reset_before_create_drops_the_connection_and_creates_nothing(sb, http, url):
    sb.inject("eachlabs", "create", "reset")
    with pytest.raises(requests.ConnectionError):
        each_create(sb, http, url)
    stats = sb.stats()
    assert stats["eachlabs"]["creates"] == 1 and stats["jobs"] == []
    assert each_create(sb, http, url).status_code == 200  # one request per count


def test_reset_after_create_leaves_a_job_the_client_never_heard_of(sb, http, url):
    sb.inject("eachlabs", "create", "reset", after_create=True)
    with pytest.raises(requests.ConnectionError):
        each_create(sb, http, url)
    jobs = wait_for(lambda: sb.stats()["jobs"], lambda j: j and j[0]["status"] == "succeeded")
    assert len(jobs) == 1 and jobs[0]["status"] == "succeeded"


def test_slow_after_create_times_the_client_out_but_the_job_exists(sb, http, url):
    sb.inject("eachlabs", "create", "slow", seconds=3, after_create=True)
    with pytest.raises(requests.Timeout):
        each_create(sb, http, url, timeout=0.5)
    assert len(sb.stats()["jobs"]) == 1


def test_slow_before_create_does_not_create_for_a_client_that_gave_up(sb, http, url):
    sb.inject("eachlabs", "create", "slow", seconds=0.5)
    with pytest.raises(requests.Timeout):
        each_create(sb, http, url, timeout=0.2)
    time.sleep(0.7)
    assert sb.stats()["jobs"] == []


def test_slow_poll_is_delayed_by_the_given_seconds(sb, http):
    h = fal_submit(sb, http).json()
    sb.inject("fal", "poll", "slow", seconds=0.5)
    start = time.monotonic()
    assert http.get(h["status_url"], headers=FAL_KEY).status_code in (200, 202)
    assert time.monotonic() - start >= 0.45


def test_moderation_fault_on_create_fails_that_job_only(sb, http, url):
    for provider in ("eachlabs", "replicate", "fal"):
        sb.inject(provider, "create", "moderation")
    pid = each_create(sb, http, url).json()["predictionID"]
    pred = replicate_create(sb, http).json()
    h = fal_submit(sb, http).json()
    body = wait_for(
        lambda: http.get(f"{sb.base_urls['eachlabs']}/v1/prediction/{pid}", headers=BEARER).json(),
        lambda b: b["status"] != "created" and b["output"] is not None,
    )
    assert body["status"] == "error" and body["output"]["classification"]["category"] == "content_moderation"
    body = wait_for(
        lambda: http.get(pred["urls"]["get"], headers=BEARER).json(),
        lambda b: b["status"] in ("succeeded", "failed"),
    )
    assert body["status"] == "failed" and "flagged" in body["error"]
    body = wait_for(lambda: http.get(h["status_url"], headers=FAL_KEY), lambda r: r.status_code == 200).json()
    assert body["error_type"] == "content_policy_violation"
    pid = each_create(sb, http, url).json()["predictionID"]  # the next job is fine again
    body = wait_for(
        lambda: http.get(f"{sb.base_urls['eachlabs']}/v1/prediction/{pid}", headers=BEARER).json(),
        lambda b: b["status"] in ("success", "error"),
    )
    assert body["status"] == "success"


def test_malformed_json_is_a_200_that_does_not_parse(sb, http, url):
    sb.inject("eachlabs", "create", "malformed_json")
    r = each_create(sb, http, url)
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()


@pytest.mark.parametrize("provider", ["eachlabs", "replicate", "fal"])
def test_502_is_a_gateway_html_page(sb, http, url, provider):
    sb.inject(provider, "create", "http_502")
    r = {
        "eachlabs": lambda: each_create(sb, http, url),
        "replicate": lambda: replicate_create(sb, http),
        "fal": lambda: fal_submit(sb, http),
    }[provider]()
    assert r.status_code == 502 and r.headers["Content-Type"].startswith("text/html")


def test_500_after_create_is_the_ambiguous_case(sb, http):
    sb.inject("replicate", "create", "http_500", after_create=True)
    r = replicate_create(sb, http)
    assert r.status_code == 500 and r.headers["Content-Type"] == "application/problem+json"
    assert len(sb.stats()["jobs"]) == 1


def test_poll_errors_in_each_providers_shape(sb, http, url):
    pid = each_create(sb, http, url).json()["predictionID"]
    pred = replicate_create(sb, http).json()
    h = fal_submit(sb, http).json()
    for provider in ("eachlabs", "replicate", "fal"):
        sb.inject(provider, "poll", "http_500")
    r = http.get(f"{sb.base_urls['eachlabs']}/v1/prediction/{pid}", headers=BEARER)
    assert r.status_code == 500 and "error" in r.json() and r.headers["X-Request-Id"]
    r = http.get(pred["urls"]["get"], headers=BEARER)
    assert r.status_code == 500 and r.json()["status"] == 500 and r.json()["title"]
    r = http.get(h["status_url"], headers=FAL_KEY)
    assert r.status_code == 500 and r.json()["detail"] and r.headers["X-Fal-Error-Type"]
    # the faults are used up: the next polls are normal
    assert http.get(f"{sb.base_urls['eachlabs']}/v1/prediction/{pid}", headers=BEARER).status_code == 200


def test_unknown_status_words_appear_once(sb, http, url):
    pid = each_create(sb, http, url).json()["predictionID"]
    pred = replicate_create(sb, http).json()
    h = fal_submit(sb, http).json()
    sb.inject("*", "poll", "unknown_status", count=3)
    assert (
        http.get(f"{sb.base_urls['eachlabs']}/v1/prediction/{pid}", headers=BEARER).json()["status"]
        == "warming"
    )
    assert http.get(pred["urls"]["get"], headers=BEARER).json()["status"] == "warming"
    assert http.get(h["status_url"], headers=FAL_KEY).json()["status"] == "WARMING"
    assert http.get(pred["urls"]["get"], headers=BEARER).json()["status"] != "warming"


def test_count_consumes_that_many_requests(sb, http, url):
    sb.inject("eachlabs", "create", "http_503", count=2)
    assert [each_create(sb, http, url).status_code for _ in range(3)] == [503, 503, 200]
    fired = sb.stats()["faults"]["fired"]
    assert len(fired) == 2 and sb.stats()["faults"]["pending"] == []


@pytest.mark.parametrize("provider,status", [("eachlabs", 403), ("replicate", 404), ("fal", 404)])
def test_expired_output_download(sb, http, url, provider, status):
    if provider == "eachlabs":
        pid = each_create(sb, http, url).json()["predictionID"]
        body = wait_for(
            lambda: http.get(f"{sb.base_urls['eachlabs']}/v1/prediction/{pid}", headers=BEARER).json(),
            lambda b: b["status"] == "success",
        )
        link = body["output"][0]
    elif provider == "replicate":
        pred = replicate_create(sb, http).json()
        link = wait_for(
            lambda: http.get(pred["urls"]["get"], headers=BEARER).json(), lambda b: b["status"] == "succeeded"
        )["output"][0]
    else:
        h = fal_submit(sb, http).json()
        wait_for(lambda: http.get(h["status_url"], headers=FAL_KEY), lambda r: r.status_code == 200)
        link = http.get(h["response_url"], headers=FAL_KEY).json()["images"][0]["url"]
    sb.inject(provider, "download", "expired_output")
    assert http.get(link).status_code == status
    assert http.get(link).status_code == 200


def _fal_output(sb, http):
    h = fal_submit(sb, http).json()
    wait_for(lambda: http.get(h["status_url"], headers=FAL_KEY), lambda r: r.status_code == 200)
    return http.get(h["response_url"], headers=FAL_KEY).json()["images"][0]["url"]


def test_truncated_download_short_body(sb, http):
    link = _fal_output(sb, http)
    whole = http.get(link).content
    sb.inject("fal", "download", "truncated_image", fraction=0.5)
    r = http.get(link)
    assert r.status_code == 200 and 0 < len(r.content) < len(whole)
    with pytest.raises(OSError):
        decode(r.content)


def test_truncated_download_cut_connection(sb, http):
    link = _fal_output(sb, http)
    sb.inject("fal", "download", "truncated_image", mode="abort")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        http.get(link)


def test_fault_injection_refuses_typos(sb):
    with pytest.raises(ValueError):
        sb.inject("eachlabs", "create", "http_418")
    with pytest.raises(ValueError):
        sb.inject("nobody", "create", "reset")
    with pytest.raises(ValueError):
        sb.inject("eachlabs", "create", "slow", secnds=3)
    with pytest.raises(ValueError):
        sb.inject("eachlabs", "poll", "reset", after_create=True)


def test_upload_faults(sb, http):
    sb.inject("eachlabs", "upload", "http_503")
    p = http.post(
        sb.base_urls["eachlabs"] + "/v1/upload/presign", json={"content_type": "image/png"}, headers=BEARER
    ).json()
    r = http.put(
        p["presigned_url"], data=b"x", headers={"Content-Type": "image/png", **p["required_headers"]}
    )
    assert r.status_code == 503 and b"<Code>SlowDown</Code>" in r.content


def test_auth_faults_on_an_otherwise_good_request(sb, http):
    sb.inject("fal", "create", "http_401")
    sb.inject("replicate", "create", "http_402")
    assert fal_submit(sb, http).status_code == 401
    r = replicate_create(sb, http)
    assert r.status_code == 402 and r.json()["title"] == "Insufficient credit"
