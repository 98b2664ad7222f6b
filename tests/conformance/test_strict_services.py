"""Where the real services are stricter than their docs suggest, through the real engine against the
sandbox set up as strictly: each::labs' default size for an omitted `image_size`, the inline limits that
make Replicate and fal uploads necessary, and keys that stay where each provider documents them."""

from __future__ import annotations

import io
import os

import pytest
import requests
from conformance_helpers import decoded, edit, settings_for
from gptedit.catalog import model_info
from gptedit.geometry import Box, plan_edit
from gptedit.models import ImageInput, JobState
from gptedit.providers import ProviderConfig, make_provider
from PIL import Image, ImageChops, ImageDraw, ImageStat


def encode(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def canvas(width: int, height: int) -> Image.Image:
    """Smooth gradients with a hard-edged disc: a stretched answer moves the disc's edge visibly."""
    img = Image.new("RGBA", (width, height))
    img.putdata(
        [(x * 255 // width, y * 255 // height, 128, 255) for y in range(height) for x in range(width)]
    )
    disc = Image.new("L", (width, height), 0)
    ImageDraw.Draw(disc).ellipse(
        (width // 2 - 40, height // 2 - 40, width // 2 + 40, height // 2 + 40), fill=255
    )
    img.paste((250, 250, 20, 255), mask=disc)
    return img


@pytest.mark.parametrize("model", ["gpt-image-v2-edit", "gpt-image-v1-5-edit"])
def test_eachlabs_answer_for_a_3_2_selection_is_3_2_and_lands_in_place(sandbox, model):
    """Size "auto" on each::labs: the plan grows the box to 3:2 and the client must ask for 1536x1024. Left
    out, the service answers its documented default 1024x1024, which the host then stretches into the box."""
    doc = canvas(640, 480)
    plan = plan_edit(doc.width, doc.height, Box(200, 150, 240, 160), model_info("eachlabs", model).sizes)
    ctx = plan.context
    assert ctx.width * 2 == ctx.height * 3  # the plan made the box 3:2
    send = plan.send_size
    crop = doc.crop((ctx.x, ctx.y, ctx.right, ctx.bottom)).resize(
        (send.width, send.height), Image.Resampling.LANCZOS
    )
    image = ImageInput(encode(crop), "image/png", crop.width, crop.height, "layer.png")
    job, _, _ = edit(
        sandbox,
        "eachlabs",
        "[identity] keep it",
        image=image,
        settings_flags={"model": model},
        size=plan.request_size,
    )
    assert job.state is JobState.FETCHED, job.error
    answer = decoded(job.results[0])
    assert answer.size == (1536, 1024) == (plan.suggested_size.width, plan.suggested_size.height)
    assert sandbox.stats()["jobs"][0]["request"]["params"]["image_size"] == "1536x1024"
    # placed as a host places it: scaled into the box, over the document
    placed = doc.copy()
    placed.paste(answer.resize((ctx.width, ctx.height), Image.Resampling.LANCZOS), (ctx.x, ctx.y))
    diff = ImageStat.Stat(ImageChops.difference(placed.convert("RGB"), doc.convert("RGB"))).mean
    assert max(diff) < 2.0, diff


def test_eachlabs_without_image_size_gets_the_square_default(sandbox):
    """What the client used to do, sent by hand: the sandbox answers as the service documents."""
    base = sandbox.base_urls["eachlabs"]
    auth = {"Authorization": "Bearer k"}
    presign = requests.post(
        base + "/v1/upload/presign", json={"content_type": "image/png"}, headers=auth
    ).json()
    requests.put(
        presign["presigned_url"],
        data=encode(canvas(96, 64)),
        headers={"Content-Type": "image/png", **presign["required_headers"]},
    )
    r = requests.post(
        base + "/v1/prediction",
        headers=auth,
        json={
            "model": "gpt-image-v1-5-edit",
            "version": "0.0.1",
            "input": {"prompt": "[identity]", "image_urls": [presign["public_url"]]},
        },
    )
    assert r.status_code == 200, r.text
    job = sandbox.ctx.jobs.all("eachlabs")[0]
    assert job.spec.size == (1024, 1024)
    r = requests.post(
        base + "/v1/prediction",
        headers=auth,
        json={
            "model": "gpt-image-v1-5-edit",
            "version": "0.0.1",
            "input": {"prompt": "[identity]", "image_urls": [presign["public_url"]], "image_size": "auto"},
        },
    )
    assert r.status_code == 400  # not in v1.5's enum


def noisy_picture(width: int = 400, height: int = 300) -> tuple[Image.Image, ImageInput]:
    """Random pixels: a PNG well over the 256 KB inline limit."""
    img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).convert("RGBA")
    data = encode(img)
    assert len(data) > 256 * 1024
    return img, ImageInput(data, "image/png", width, height, "layer.png")


@pytest.mark.parametrize("provider", ["replicate", "fal"])
def test_big_images_are_uploaded_and_read_back_by_the_model(sandbox, provider):
    img, image = noisy_picture()
    job, _, _ = edit(sandbox, provider, "[identity] keep it", image=image)
    assert job.state is JobState.FETCHED, job.error
    stats = sandbox.stats()
    assert stats[provider]["file_uploads"] == 1 and stats[provider]["inline_rejected"] == 0
    assert stats["jobs"][0]["request"]["image_url_kinds"] == ["url"]
    if provider == "fal":  # fal answers at the input's size: the uploaded bytes came back unchanged
        assert decoded(job.results[0]).tobytes() == img.tobytes()
    assert stats["leaked_credentials"] == []


@pytest.mark.parametrize("provider", ["replicate", "fal"])
def test_small_images_stay_inline(sandbox, provider):
    job, _, _ = edit(sandbox, provider)
    assert job.state is JobState.FETCHED, job.error
    stats = sandbox.stats()
    assert stats[provider]["file_uploads"] == 0 and stats["jobs"][0]["request"]["image_url_kinds"] == ["data"]


@pytest.mark.parametrize("provider", ["replicate", "fal"])
def test_an_inline_body_over_the_services_limit_is_refused_before_any_job(sandbox, provider):
    """A stricter front end than the client expects (limit below the client's 256 KB inline bound): the
    413 fails the job as bad input, and nothing was created or billed."""
    sandbox.configure(inline_limit=100)
    job, _, _ = edit(sandbox, provider)
    assert job.state is JobState.FAILED and "413" in (job.error or ""), job.error
    assert sandbox.stats()["jobs"] == [] and sandbox.stats()[provider]["inline_rejected"] == 1


def test_fal_uploads_use_a_cdn_token_not_the_key(sandbox):
    _, image = noisy_picture()
    edit(sandbox, "fal", "[identity]", image=image)
    stats = sandbox.stats()["fal"]
    assert stats["upload_tokens"] == 1 and stats["file_uploads"] == 1


def test_settings_base_url_is_used_for_fal_storage(sandbox):
    s = settings_for(sandbox, "fal")
    p = make_provider("fal", ProviderConfig("fal", s.base_url, s.api_key))
    assert p.storage_hosts() == (sandbox.base_urls["fal"], sandbox.base_urls["fal"])


def test_fal_result_answering_5xx_with_an_error_type_ends_the_job_at_once(sandbox):
    """The result of a finished request does not change: fal's reason ends the job, no polling for minutes."""
    sandbox.inject("fal", "result", "http_500", count=10, message="Runner crashed while decoding the output")
    job, _, _ = edit(sandbox, "fal")
    assert job.state is JobState.FAILED and "Runner crashed while decoding the output" in (job.error or "")
    assert sandbox.stats()["fal"]["results"] == 1


def test_fal_result_gateway_page_is_polled_again(sandbox):
    """A 502 page without an error_type is a hiccup on the way, not fal's verdict: the job still finishes."""
    sandbox.inject("fal", "result", "http_502", count=1)
    job, _, _ = edit(sandbox, "fal")
    assert job.state is JobState.FETCHED, job.error
