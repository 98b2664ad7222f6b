"""The providers' file APIs as the sandbox serves them, and the inline limits that make them necessary:
Replicate's `POST /v1/files` (replicate-python `files.create`), fal's two storage routes (fal_client's
CDN token + `POST /files/upload`, and `storage/upload/initiate` + a signed PUT), and the 413 a too big
data: URL gets from Replicate's and fal's front ends."""

from __future__ import annotations

import os

import pytest
from PIL import Image
from sbhelpers import BEARER, FAL_KEY, data_url, decode, encode, pattern, wait_for


def noise_png(min_bytes: int) -> bytes:
    """A PNG of random pixels at least `min_bytes` long (random data does not compress)."""
    side = 64
    while True:
        img = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        data = encode(img)
        if len(data) >= min_bytes:
            return data
        side *= 2


# --- Replicate -----------------------------------------------------------------------------------------


def replicate_upload(sb, http, data: bytes, name: str = "layer.png", mime: str = "image/png", **extra):
    return http.post(
        sb.base_urls["replicate"] + "/v1/files",
        headers=BEARER,
        files={"content": (name, data, mime)},
        data=extra,
    )


def test_replicate_file_create_get_list_delete(sb, http):
    png = encode(pattern())
    r = replicate_upload(sb, http, png, metadata='{"from": "test"}')
    assert r.status_code == 201, r.text
    f = r.json()
    assert f["name"] == "layer.png" and f["content_type"] == "image/png" and f["size"] == len(png)
    assert f["metadata"] == {"from": "test"} and f["expires_at"] > f["created_at"]
    assert set(f) >= {"id", "etag", "checksums", "urls"} and len(f["checksums"]["sha256"]) == 64
    assert f["urls"]["get"] == f"{sb.base_urls['replicate']}/v1/files/{f['id']}"
    assert http.get(f["urls"]["get"], headers=BEARER).json()["id"] == f["id"]
    listed = http.get(sb.base_urls["replicate"] + "/v1/files", headers=BEARER).json()
    assert [x["id"] for x in listed["results"]] == [f["id"]]
    assert http.delete(f["urls"]["get"], headers=BEARER).status_code == 204
    assert http.get(f["urls"]["get"], headers=BEARER).status_code == 404
    assert sb.stats()["replicate"]["file_uploads"] == 1


def test_replicate_files_need_the_token_and_a_content_part(sb, http):
    url = sb.base_urls["replicate"] + "/v1/files"
    assert http.post(url, files={"content": ("a.png", b"x", "image/png")}).status_code == 401
    r = http.post(url, headers=BEARER, files={"file": ("a.png", b"x", "image/png")})
    assert r.status_code == 400 and "content" in r.json()["detail"]


def test_replicate_prediction_reads_an_uploaded_file_by_its_api_url(sb, http):
    png = encode(pattern(60, 40))
    f = replicate_upload(sb, http, png).json()
    r = http.post(
        sb.base_urls["replicate"] + "/v1/models/openai/gpt-image-1.5/predictions",
        headers=BEARER,
        json={"input": {"prompt": "[identity]", "input_images": [f["urls"]["get"]]}},
    )
    assert r.status_code == 201, r.text
    job = sb.stats()["jobs"][0]
    assert job["request"]["image_url_kinds"] == ["url"] and job["request"]["images"][0]["width"] == 60
    # a deleted file can no longer be read by a prediction
    http.delete(f["urls"]["get"], headers=BEARER)
    r = http.post(
        sb.base_urls["replicate"] + "/v1/models/openai/gpt-image-1.5/predictions",
        headers=BEARER,
        json={"input": {"prompt": "[identity]", "input_images": [f["urls"]["get"]]}},
    )
    assert r.status_code == 422


def test_replicate_refuses_a_big_data_url_like_its_front_end(sb, http):
    big = noise_png(1_000_001)
    r = http.post(
        sb.base_urls["replicate"] + "/v1/models/openai/gpt-image-1.5/predictions",
        headers=BEARER,
        json={"input": {"prompt": "x", "input_images": [data_url(big)]}},
    )
    assert r.status_code == 413 and "Request Entity Too Large" in r.text
    assert r.headers["Content-Type"].startswith("text/html")
    assert sb.stats()["jobs"] == [] and sb.stats()["replicate"]["inline_rejected"] == 1
    sb.configure(inline_limit=None)  # the switch tests use to send anything inline
    r = http.post(
        sb.base_urls["replicate"] + "/v1/models/openai/gpt-image-1.5/predictions",
        headers=BEARER,
        json={"input": {"prompt": "x", "input_images": [data_url(big)]}},
    )
    assert r.status_code == 201


# --- fal -----------------------------------------------------------------------------------------------


def fal_token(sb, http, headers=FAL_KEY):
    return http.post(
        sb.base_urls["fal"] + "/storage/auth/token",
        params={"storage_type": "fal-cdn-v3"},
        headers=headers,
        json={},
    )


def test_fal_cdn_token_then_upload(sb, http):
    from datetime import datetime

    r = fal_token(sb, http)
    assert r.status_code == 200, r.text
    tok = r.json()
    assert tok["token_type"] == "Bearer" and tok["base_url"] == sb.base_urls["fal"]
    assert datetime.fromisoformat(tok["expires_at"]).tzinfo is not None  # what fal_client parses
    png = encode(pattern())
    r = http.post(
        sb.base_urls["fal"] + "/files/upload",
        data=png,
        headers={
            "Authorization": f"{tok['token_type']} {tok['token']}",
            "Content-Type": "image/png",
            "X-Fal-File-Name": "layer.png",
        },
    )
    assert r.status_code == 200, r.text
    url = r.json()["access_url"]
    assert url.startswith(sb.cdn_url) and url.endswith(".png")
    got = http.get(url)
    assert got.content == png and got.headers["Content-Type"] == "image/png"
    assert sb.stats()["leaked_credentials"] == []


def test_fal_cdn_upload_refuses_the_key_and_bad_tokens(sb, http):
    url = sb.base_urls["fal"] + "/files/upload"
    for auth in (FAL_KEY["Authorization"], "Bearer made-up", ""):
        r = http.post(url, data=b"x", headers={"Authorization": auth, "Content-Type": "image/png"})
        assert r.status_code == 401
    assert fal_token(sb, http, headers={}).status_code == 401


def test_fal_initiate_then_signed_put(sb, http):
    r = http.post(
        sb.base_urls["fal"] + "/storage/upload/initiate",
        params={"storage_type": "gcs"},
        headers=FAL_KEY,
        json={"file_name": "layer.png", "content_type": "image/png"},
    )
    assert r.status_code == 200, r.text
    init = r.json()
    png = encode(pattern())
    # no key on the signed URL: the signature is the permission, and only Content-Type is signed
    assert http.put(init["upload_url"], data=png, headers={"Content-Type": "image/png"}).status_code == 200
    assert http.get(init["file_url"]).content == png
    assert sb.stats()["fal"]["uploads"] == 1 and sb.stats()["leaked_credentials"] == []


def test_fal_submit_takes_uploaded_urls_and_refuses_big_data_urls(sb, http):
    tok = fal_token(sb, http).json()
    png = encode(pattern(50, 30))
    url = http.post(
        sb.base_urls["fal"] + "/files/upload",
        data=png,
        headers={"Authorization": f"Bearer {tok['token']}", "Content-Type": "image/png"},
    ).json()
    r = http.post(
        sb.base_urls["fal"] + "/openai/gpt-image-2/edit",
        headers=FAL_KEY,
        json={"prompt": "[identity]", "image_urls": [url["access_url"]]},
    )
    assert r.status_code == 200, r.text
    assert sb.stats()["jobs"][0]["request"]["image_url_kinds"] == ["url"]
    big = noise_png(1_000_001)
    r = http.post(
        sb.base_urls["fal"] + "/openai/gpt-image-2/edit",
        headers=FAL_KEY,
        json={"prompt": "x", "image_urls": [data_url(big)]},
    )
    assert r.status_code == 413 and r.json()["error_type"] == "request_entity_too_large"
    assert len(sb.stats()["jobs"]) == 1


@pytest.mark.parametrize("reading", ["alpha", "brightness"])
def test_fal_mask_readings(sb, http, reading):
    """The same three masks under both readings: OpenAI's (black, alpha 0 = edit), a grey one (white =
    edit, opaque) and the one that reads the same both ways (white + alpha 0 = edit, black opaque = keep)."""
    sb.configure(fal_mask_reading=reading)
    w, h = 40, 20
    src = Image.new("RGBA", (w, h), (10, 20, 30, 255))

    def mask(edit_px, keep_px):
        m = Image.new("RGBA", (w, h), keep_px)
        m.paste(edit_px, (0, 0, w // 2, h))
        return encode(m)

    masks = {
        "openai": mask((0, 0, 0, 0), (0, 0, 0, 255)),
        "grey": mask((255, 255, 255, 255), (0, 0, 0, 255)),
        "both": mask((255, 255, 255, 0), (0, 0, 0, 255)),
    }
    edited_left = {}
    for name, m in masks.items():
        sb.reset()
        sb.configure(fal_mask_reading=reading, latency=0.05)
        r = http.post(
            sb.base_urls["fal"] + "/openai/gpt-image-2/edit",
            headers=FAL_KEY,
            json={"prompt": "[invert]", "image_urls": [data_url(encode(src))], "mask_url": data_url(m)},
        )
        h_ = r.json()
        wait_for(lambda u=h_["status_url"]: http.get(u, headers=FAL_KEY), lambda x: x.status_code == 200)
        out = decode(
            http.get(http.get(h_["response_url"], headers=FAL_KEY).json()["images"][0]["url"]).content
        )
        left, right = out.convert("RGB").getpixel((2, 2)), out.convert("RGB").getpixel((w - 2, 2))
        assert right == (10, 20, 30)  # the kept half is kept under every reading
        edited_left[name] = left == (245, 235, 225)
    assert edited_left["both"]  # the dual mask edits under either reading
    assert edited_left["openai"] == (reading == "alpha") and edited_left["grey"] == (reading == "brightness")
