"""What the providers send to the real services' file APIs, against tiny loopback servers: big images go
through Replicate's `POST /v1/files` and fal's storage (CDN token, then the upload; the initiate + PUT
route when that fails), small ones inline; the key only where each provider documents it. Also fal's
dual-reading mask, its result 5xx with an `error_type`, and cancel answering NOT_FOUND."""

from __future__ import annotations

import io
import json
import os

import pytest
from gptedit.errors import ServerError
from gptedit.models import EditRequest, ImageInput, RemoteHandle, RemoteStatus
from gptedit.pngio import decode_png, openai_mask_png
from gptedit.providers import ProviderConfig, make_provider
from gptedit.providers.fal import CDN_URL, INLINE_LIMIT, REST_URL, dual_reading_mask
from gptedit.transport import RetryPolicy
from http_fixture import LoopbackServer, Reply
from PIL import Image


@pytest.fixture
def server():
    s = LoopbackServer().start()
    yield s
    s.stop()


def png(w=64, h=48) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (w, h), (10, 200, 30, 255)).save(buf, "PNG")
    return buf.getvalue()


def big_png() -> bytes:
    """Random pixels do not compress: well over the 256 KB inline limit."""
    buf = io.BytesIO()
    Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3)).save(buf, "PNG")
    assert len(buf.getvalue()) > INLINE_LIMIT
    return buf.getvalue()


SMALL, BIG = png(), big_png()


def provider(name, server):
    cfg = ProviderConfig(
        name=name, base_url=server.base, api_key="KEY123", connect_timeout=5, read_timeout=10
    )
    return make_provider(name, cfg, retry=RetryPolicy(attempts=2, base_delay=0.01))


def req(model, images, **kw) -> EditRequest:
    return EditRequest(prompt="make it red", model=model, images=images, **kw)


# --- Replicate -------------------------------------------------------------------------------------------


def test_replicate_uploads_big_images_and_inlines_small_ones(server):
    server.add(
        "POST",
        "/v1/files",
        Reply(
            201,
            json={
                "id": "f1",
                "name": "layer.png",
                "content_type": "image/png",
                "size": len(BIG),
                "urls": {"get": "https://api.replicate.com/v1/files/f1"},
            },
        ),
    )
    server.add(
        "POST",
        "/v1/models/openai/gpt-image-1.5/predictions",
        Reply(201, json={"id": "p1", "status": "starting"}),
    )
    p = provider("replicate", server)
    events = []
    p.submit(
        req("openai/gpt-image-1.5", [ImageInput(BIG, name="layer.png"), ImageInput(SMALL, name="ref.png")]),
        lambda k, v: events.append((k, v)),
    )
    upload = server.requests("POST", "/v1/files")
    assert len(upload) == 1 and upload[0].headers["authorization"] == "Bearer KEY123"
    body = upload[0].body
    assert upload[0].headers["content-type"].startswith("multipart/form-data")
    assert (
        b'name="content"; filename="layer.png"' in body and b"Content-Type: image/png" in body and BIG in body
    )
    images = server.requests("POST", "/v1/models/openai/gpt-image-1.5/predictions")[0].json()["input"][
        "input_images"
    ]
    assert images[0] == "https://api.replicate.com/v1/files/f1" and images[1].startswith(
        "data:image/png;base64,"
    )
    assert ("upload", 1.0) in events


# --- fal -------------------------------------------------------------------------------------------------


def fal_submit(server):
    app = f"{server.base}/openai/gpt-image-2/requests/r1"
    server.add(
        "POST",
        "/openai/gpt-image-2/edit",
        Reply(
            json={
                "request_id": "r1",
                "response_url": app,
                "status_url": app + "/status",
                "cancel_url": app + "/cancel",
            }
        ),
    )
    return app


def test_fal_storage_hosts_are_fals_own_for_the_default_base_url():
    p = make_provider("fal", ProviderConfig("fal", "", "k"))
    assert p.storage_hosts() == (REST_URL, CDN_URL)
    q = make_provider("fal", ProviderConfig("fal", "https://gateway.example/fal", "k"))
    assert q.storage_hosts() == ("https://gateway.example/fal", "https://gateway.example/fal")


def test_fal_uploads_big_images_with_a_cdn_token_never_the_key(server):
    fal_submit(server)
    server.add(
        "POST",
        "/storage/auth/token",
        Reply(
            json={
                "token": "tok-1",
                "token_type": "Bearer",
                "base_url": server.base,
                "expires_at": "2099-01-01T00:00:00+00:00",
            }
        ),
    )
    server.add(
        "POST",
        "/files/upload",
        Reply(json={"access_url": "https://v3.fal.media/files/x/layer.png"}),
        Reply(json={"access_url": "https://v3.fal.media/files/x/mask.png"}),
    )
    p = provider("fal", server)
    mask = ImageInput(
        openai_mask_png(400, 300, bytes([255]) * (400 * 150) + bytes(400 * 150)), name="mask.png"
    )
    p.submit(
        req("openai/gpt-image-2/edit", [ImageInput(BIG, name="layer.png"), ImageInput(SMALL)], mask=mask)
    )
    token = server.requests("POST", "/storage/auth/token")
    assert len(token) == 1 and token[0].headers["authorization"] == "Key KEY123"  # one token for both files
    assert token[0].query == "storage_type=fal-cdn-v3"
    uploads = server.requests("POST", "/files/upload")
    # only the big image: the two-colour mask compresses far below the inline limit
    assert [u.headers["authorization"] for u in uploads] == ["Bearer tok-1"]
    first = uploads[0]
    assert first.body == BIG and first.headers["content-type"] == "image/png"
    assert first.headers["x-fal-file-name"] == "layer.png"
    assert json.loads(first.headers["x-fal-object-lifecycle"]) == {"expiration_duration_seconds": 86400}
    body = server.requests("POST", "/openai/gpt-image-2/edit")[0].json()
    assert body["image_urls"][0] == "https://v3.fal.media/files/x/layer.png"
    assert body["image_urls"][1].startswith("data:image/png;base64,")
    assert body["mask_url"].startswith("data:image/png;base64,")


def test_fal_falls_back_to_initiate_and_put_when_the_cdn_fails(server):
    fal_submit(server)
    server.add(
        "POST",
        "/storage/auth/token",
        Reply(
            json={
                "token": "tok-1",
                "token_type": "Bearer",
                "base_url": server.base,
                "expires_at": "2099-01-01T00:00:00Z",
            }
        ),
    )
    server.add("POST", "/files/upload", Reply(503, json={"detail": "CDN unavailable"}))
    server.add(
        "POST",
        "/storage/upload/initiate",
        Reply(
            json={
                "upload_url": f"{server.base}/gcs/put-here?sig=1",
                "file_url": "https://v3.fal.media/files/y/layer.png",
            }
        ),
    )
    server.add("PUT", "/gcs/put-here", Reply(200))
    p = provider("fal", server)
    p.submit(req("openai/gpt-image-2/edit", [ImageInput(BIG, name="layer.png")]))
    init = server.requests("POST", "/storage/upload/initiate")[0]
    assert init.json() == {"file_name": "layer.png", "content_type": "image/png"}
    assert init.headers["authorization"] == "Key KEY123"
    put = server.requests("PUT", "/gcs/put-here")[0]
    assert (
        put.body == BIG and "authorization" not in put.headers and put.headers["content-type"] == "image/png"
    )
    body = server.requests("POST", "/openai/gpt-image-2/edit")[0].json()
    assert body["image_urls"] == ["https://v3.fal.media/files/y/layer.png"]


def test_fal_mask_reads_the_same_by_alpha_and_by_brightness():
    w, h = 6, 2
    selection = bytes([255, 128, 1, 0, 0, 0] * h)  # any selection at all is editable, as for OpenAI
    out = decode_png(dual_reading_mask(openai_mask_png(w, h, selection)))
    assert out.channels == 4
    px = [tuple(out.pixels[i : i + 4]) for i in range(0, len(out.pixels), 4)]
    assert px[:6] == [(255, 255, 255, 0)] * 3 + [(0, 0, 0, 255)] * 3


def test_fal_result_5xx_with_error_type_ends_the_job_at_once(server):
    fal_submit(server)
    server.add("GET", "/openai/gpt-image-2/requests/r1/status", Reply(json={"status": "COMPLETED"}))
    server.add(
        "GET",
        "/openai/gpt-image-2/requests/r1",
        Reply(
            504,
            json={"detail": "Request timed out after 600 seconds", "error_type": "request_timeout"},
            headers={"X-Fal-Retryable": "false"},
        ),
    )
    p = provider("fal", server)
    r = p.poll(p.submit(req("openai/gpt-image-2/edit", [ImageInput(SMALL)])).handle)
    assert r.status is RemoteStatus.FAILED and "Request timed out after 600 seconds" in str(r.error)
    assert len(server.requests("GET", "/openai/gpt-image-2/requests/r1")) == 1  # not asked again


def test_fal_result_5xx_without_error_type_stays_a_transient_server_error(server):
    fal_submit(server)
    server.add("GET", "/openai/gpt-image-2/requests/r1/status", Reply(json={"status": "COMPLETED"}))
    server.add(
        "GET",
        "/openai/gpt-image-2/requests/r1",
        Reply(502, body=b"<html>Bad Gateway</html>", headers={"Content-Type": "text/html"}),
    )
    p = provider("fal", server)
    with pytest.raises(ServerError):
        p.poll(p.submit(req("openai/gpt-image-2/edit", [ImageInput(SMALL)])).handle)


def test_fal_cancel_not_found_is_nothing_to_cancel(server):
    server.add("PUT", "/openai/gpt-image-2/requests/r1/cancel", Reply(404, json={"status": "NOT_FOUND"}))
    p = provider("fal", server)
    p.cancel(
        RemoteHandle(
            "fal",
            "r1",
            {
                "status": f"{server.base}/openai/gpt-image-2/requests/r1/status",
                "cancel": f"{server.base}/openai/gpt-image-2/requests/r1/cancel",
            },
        )
    )
    assert server.requests("PUT")


def test_fal_file_names_are_safe_for_a_header(server):
    fal_submit(server)
    server.add(
        "POST",
        "/storage/auth/token",
        Reply(
            json={
                "token": "t",
                "token_type": "Bearer",
                "base_url": server.base,
                "expires_at": "2099-01-01T00:00:00Z",
            }
        ),
    )
    server.add("POST", "/files/upload", Reply(json={"access_url": "https://v3.fal.media/files/z/a.png"}))
    p = provider("fal", server)
    p.submit(req("openai/gpt-image-2/edit", [ImageInput(BIG, name="Ébauche ciel № 2.png")]))
    assert server.requests("POST", "/files/upload")[0].headers["x-fal-file-name"] == "bauche_ciel_2.png"
