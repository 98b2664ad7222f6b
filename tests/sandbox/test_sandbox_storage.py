"""The upload host (each::labs presigned PUT) and the download CDN, including credential-leak recording."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from sbhelpers import BEARER, FAL_KEY, data_url, decode, eachlabs_upload, encode, pattern, wait_for


def presign(sb, http, **body):
    body.setdefault("content_type", "image/png")
    return http.post(sb.base_urls["eachlabs"] + "/v1/upload/presign", json=body, headers=BEARER)


def test_presign_answer_has_the_documented_fields(sb, http):
    r = presign(sb, http, file_type="image", expires_in_seconds=3600)
    assert r.status_code == 200
    p = r.json()
    assert set(p) == {"id", "presigned_url", "public_url", "expires_at", "required_headers"}
    assert p["presigned_url"].startswith(sb.upload_url) and p["public_url"].startswith(sb.cdn_url)
    assert p["required_headers"] == {"x-amz-meta-file-id": p["id"]}
    assert "X-Amz-Signature=" in p["presigned_url"]


@pytest.mark.parametrize(
    "body,message",
    [
        ({"content_type": ""}, "content_type is required"),
        ({"file_type": "document"}, "file_type"),
        ({"expires_in_seconds": 10}, "expires_in_seconds"),
    ],
)
def test_presign_validation(sb, http, body, message):
    r = presign(sb, http, **body)
    assert r.status_code == 400 and message in r.json()["error"]


def test_public_url_works_only_after_the_put(sb, http):
    png = encode(pattern())
    p = presign(sb, http).json()
    assert http.get(p["public_url"]).status_code == 403  # S3 behind a CDN: unknown keys are 403
    r = http.put(p["presigned_url"], data=png, headers={"Content-Type": "image/png", **p["required_headers"]})
    assert r.status_code == 200 and r.headers["ETag"]
    got = http.get(p["public_url"])
    assert got.status_code == 200 and got.content == png and got.headers["Content-Type"] == "image/png"
    assert http.head(p["public_url"]).status_code == 200
    assert sb.stats()["eachlabs"]["uploads"] == 1


@pytest.mark.parametrize(
    "what",
    [
        "missing-required-header",
        "wrong-required-header",
        "wrong-content-type",
        "tampered-signature",
        "longer-expiry",
    ],
)
def test_upload_signature_mismatch_is_403(sb, http, what):
    p = presign(sb, http).json()
    headers = {"Content-Type": "image/png", **p["required_headers"]}
    url = p["presigned_url"]
    if what == "missing-required-header":
        del headers["x-amz-meta-file-id"]
    elif what == "wrong-required-header":
        headers["x-amz-meta-file-id"] = "someone-else"
    elif what == "wrong-content-type":
        headers["Content-Type"] = "application/octet-stream"
    else:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        if what == "tampered-signature":
            query["X-Amz-Signature"] = "0" * 64
        else:
            query["X-Amz-Expires"] = "999999"
        url = urlunsplit(parts._replace(query=urlencode(query)))
    r = http.put(url, data=encode(pattern()), headers=headers)
    assert r.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in r.content
    assert http.get(p["public_url"]).status_code == 403


def test_presigned_url_expires(sb, http):
    sb.configure(presign_ttl=0)
    p = presign(sb, http).json()
    time.sleep(0.01)
    r = http.put(
        p["presigned_url"], data=b"x", headers={"Content-Type": "image/png", **p["required_headers"]}
    )
    assert r.status_code == 403 and b"expired" in r.content


def test_chunked_upload_is_refused_like_s3(sb, http):
    p = presign(sb, http).json()
    r = http.put(
        p["presigned_url"],
        data=iter([encode(pattern())]),
        headers={"Content-Type": "image/png", **p["required_headers"]},
    )
    assert r.status_code == 501 and b"Transfer-Encoding" in r.content


def test_delete_file_is_204_and_idempotent(sb, http):
    url = eachlabs_upload(sb, http, encode(pattern()))
    file_id = url.rsplit("/", 1)[-1].split(".")[0]
    for _ in range(2):
        r = http.delete(f"{sb.base_urls['eachlabs']}/v1/files/{file_id}", headers=BEARER)
        assert r.status_code == 204
    assert http.get(url).status_code == 403


def test_credentials_sent_to_storage_hosts_are_recorded(sb, http):
    p = presign(sb, http).json()
    http.put(
        p["presigned_url"],
        data=encode(pattern()),
        headers={"Content-Type": "image/png", **p["required_headers"], "Authorization": "Bearer sk-leaky"},
    )
    http.get(p["public_url"], headers={"X-API-Key": "smk_leaky"})
    leaks = sb.stats()["leaked_credentials"]
    assert [(x["host"], x["header"], x["method"]) for x in leaks] == [
        ("upload", "authorization", "PUT"),
        ("download", "x-api-key", "GET"),
    ]
    assert leaks[0]["value_prefix"] == "Bearer"


def test_clean_clients_leak_nothing(sb, http):
    url = eachlabs_upload(sb, http, encode(pattern()))
    http.get(url)
    assert sb.stats()["leaked_credentials"] == []


def test_output_urls_expire_after_the_configured_ttl(sb, http):
    sb.configure(output_url_ttl=0.2)
    h = http.post(
        f"{sb.base_urls['fal']}/openai/gpt-image-2/edit",
        headers=FAL_KEY,
        json={"prompt": "x", "image_urls": [data_url(encode(pattern()))]},
    ).json()
    wait_for(lambda: http.get(h["status_url"], headers=FAL_KEY), lambda r: r.status_code == 200)
    url = http.get(h["response_url"], headers=FAL_KEY).json()["images"][0]["url"]
    assert decode(http.get(url).content).size == pattern().size
    time.sleep(0.3)
    assert http.get(url).status_code == 404
    assert sb.stats()["fal"]["downloads"] == 2


def test_cdn_only_serves_reads(sb, http):
    url = eachlabs_upload(sb, http, encode(pattern()))
    assert http.post(url, data=b"x").status_code == 405
    assert http.get(sb.cdn_url + "/elsewhere/x.png").status_code == 404
