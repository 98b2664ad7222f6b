"""The providers' own official Python clients (`openai`, `replicate`, `fal_client`, test extra only) as
judges of the sandbox and of our client.

1. Each official client drives the sandbox through the flows gptedit uses, and must accept every answer
   (its own parsing and typed models run on them): if the sandbox drifted from what the real service
   sends, the official client is the first to notice.
2. For the same edit, the sandbox records what our client sent and what the official client sent
   (`Sandbox.requests()`), and the two are compared field by field: path, auth header scheme, content
   type, multipart part names, file names and content types, or JSON fields and values.

each::labs has no official Python client; our request is compared with the request example of its API
reference (https://github.com/eachlabs/mintlify-docs, api/predictions/create-prediction.mdx).

Everything runs on loopback: fal_client insists on its https hosts, so its requests are rerouted to the
sandbox inside httpx's transport for the duration of a test."""

from __future__ import annotations

import base64
import io
import os
import time

import pytest
from conformance_helpers import mask_for, picture
from gptedit.models import Background, EditRequest, ImageInput, OutputFormat, Quality, Size
from gptedit.providers.base import ProviderConfig
from gptedit.providers.registry import make_provider
from gptedit.sandbox.wirelog import blob
from PIL import Image

openai = pytest.importorskip("openai")
replicate = pytest.importorskip("replicate")
fal_client = pytest.importorskip("fal_client")
httpx = pytest.importorskip("httpx")

KEY = "test-key-123"


def png_bytes(width: int = 96, height: int = 64) -> bytes:
    return picture(width, height)[1].data


def image_input(data: bytes, name: str = "layer.png") -> ImageInput:
    img = Image.open(io.BytesIO(data))
    return ImageInput(data, "image/png", img.width, img.height, name)


def low_edit(data: bytes, prompt: str, model: str, **fields) -> EditRequest:
    """Our edit of one PNG at low quality: the request each comparison with an official client sends."""
    return EditRequest(prompt=prompt, images=[image_input(data)], model=model, quality=Quality.LOW, **fields)


def ours(sandbox, provider: str, request: EditRequest, **options):
    p = make_provider(provider, ProviderConfig(provider, sandbox.base_urls[provider], KEY), **options)
    return p.submit(request)


def creates(sandbox, path_end: str, method: str = "POST") -> list[dict]:
    return [r for r in sandbox.requests() if r["method"] == method and r["path"].endswith(path_end)]


def layout(entry: dict) -> list[tuple]:
    """A multipart body as a sorted list of (name, file name, content type, value)."""
    return sorted(
        (p["name"], p["filename"] or "", p["content_type"] or "", p["value"]) for p in entry["form"]
    )


def same_request(a: dict, b: dict, fields=("path", "auth", "content_type")) -> None:
    for f in fields:
        assert a[f] == b[f], (f, a[f], b[f])


def oai(sandbox, provider: str = "openai"):
    return openai.OpenAI(api_key=KEY, base_url=sandbox.base_urls[provider], max_retries=0, timeout=30)


# --- OpenAI Images API -------------------------------------------------------------------------------------


def test_openai_images_edit_one_image_and_mask_same_as_ours(sandbox):
    data = png_bytes()
    mask = mask_for(96, 64, (10, 10, 40, 40))
    request = low_edit(
        data,
        "[invert] flip",
        "gpt-image-2",
        mask=mask,
        size=Size(1024, 1024),
        output_format=OutputFormat.PNG,
        background=Background.AUTO,
    )
    sub = ours(sandbox, "openai", request)
    assert sub.result.outputs
    answer = oai(sandbox).images.edit(
        image=("layer.png", data, "image/png"),
        mask=("mask.png", mask.data, "image/png"),
        prompt="[invert] flip",
        model="gpt-image-2",
        n=1,
        size="1024x1024",
        quality="low",
        background="auto",
        output_format="png",
    )
    assert answer.data and base64.b64decode(answer.data[0].b64_json)[:4] == b"\x89PNG"
    assert answer.usage is not None and answer.usage.output_tokens > 0
    mine, theirs = creates(sandbox, "/images/edits")
    same_request(mine, theirs)
    assert mine["content_type"] == "multipart/form-data" and mine["auth"] == "Bearer"
    assert layout(mine) == layout(theirs)


def test_openai_images_edit_several_images_use_the_same_array_field(sandbox):
    first, second = png_bytes(), png_bytes(40, 30)
    request = EditRequest(
        prompt="[tint] warm",
        images=[image_input(first), image_input(second, "ref.png")],
        model="gpt-image-2",
        quality=Quality.LOW,
        size=Size(1024, 1024),
    )
    ours(sandbox, "openai", request)
    answer = oai(sandbox).images.edit(
        image=[("layer.png", first, "image/png"), ("ref.png", second, "image/png")],
        prompt="[tint] warm",
        model="gpt-image-2",
        n=1,
        size="1024x1024",
        quality="low",
        background="auto",
        output_format="png",
    )
    assert len(answer.data) == 1
    mine, theirs = creates(sandbox, "/images/edits")
    assert [p["name"] for p in theirs["form"] if p["filename"]] == ["image[]", "image[]"]
    assert layout(mine) == layout(theirs)


def test_openai_images_edit_streaming_is_read_by_the_official_client(sandbox):
    data = png_bytes()
    events = list(
        oai(sandbox).images.edit(
            image=("layer.png", data, "image/png"),
            prompt="[tint] stream",
            model="gpt-image-2.6-flare",
            stream=True,
            partial_images=2,
            quality="low",
        )
    )
    kinds = [e.type for e in events]
    assert kinds[-1] == "image_edit.completed" and "image_edit.partial_image" in kinds
    partial = next(e for e in events if e.type == "image_edit.partial_image")
    assert partial.partial_image_index == 0 and base64.b64decode(partial.b64_json)[:4] == b"\x89PNG"
    assert events[-1].usage.output_tokens > 0
    request = low_edit(data, "[tint] stream", "gpt-image-2.6-flare")
    ours(sandbox, "openai", request, stream=True, partial_images=2)
    mine, theirs = creates(sandbox, "/images/edits")
    fields = lambda e: {p["name"]: p["value"] for p in e["form"] if not p["filename"]}  # noqa: E731
    assert fields(mine)["stream"] == fields(theirs)["stream"] == "true"
    assert fields(mine)["partial_images"] == fields(theirs)["partial_images"] == "2"


# --- OpenAI Responses API, background mode ---------------------------------------------------------------


def responses_call(data: bytes, mask: bytes, prompt: str) -> dict:
    """The background edit as OpenAI's guides write it for the official client."""
    from gptedit.providers.openai_responses import INSTRUCTIONS

    url = "data:image/png;base64," + base64.b64encode(data).decode()
    return dict(
        model="gpt-4.1-mini",
        instructions=INSTRUCTIONS,
        background=True,
        store=True,
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": prompt},
                    {"type": "input_image", "image_url": url, "detail": "auto"},
                ],
            }
        ],
        tools=[
            {
                "type": "image_generation",
                "model": "gpt-image-2",
                "action": "edit",
                "size": "auto",
                "quality": "low",
                "background": "auto",
                "output_format": "png",
                "input_image_mask": {"image_url": "data:image/png;base64," + base64.b64encode(mask).decode()},
            }
        ],
        tool_choice={"type": "image_generation"},
        max_tool_calls=1,
        metadata={"client": "gptedit"},
    )


def test_openai_responses_background_flow_with_the_official_client(sandbox):
    # The hold walks the response through its states at the test's pace, whatever the machine's speed.
    sandbox.configure(latency=0.0, hold="queued")
    client = oai(sandbox, "openai-responses")
    data, mask = png_bytes(), mask_for(96, 64, (0, 0, 48, 64)).data
    created = client.responses.create(**responses_call(data, mask, "[invert] flip"))
    assert created.status == "queued" and created.background is True
    assert client.responses.retrieve(created.id).status == "queued"
    sandbox.configure(hold="processing")
    assert client.responses.retrieve(created.id).status == "in_progress"
    sandbox.configure(hold=None)
    resp = client.responses.retrieve(created.id)
    assert resp.status == "completed"
    calls = [o for o in resp.output if o.type == "image_generation_call"]
    assert calls and calls[0].status == "completed"
    out = Image.open(io.BytesIO(base64.b64decode(calls[0].result)))
    assert out.size == (96, 64)
    assert resp.usage.input_tokens > 0 and resp.metadata == {"client": "gptedit"}


def test_openai_responses_cancel_with_the_official_client(sandbox):
    sandbox.configure(latency=8.0)
    client = oai(sandbox, "openai-responses")
    created = client.responses.create(**responses_call(png_bytes(), mask_for(96, 64, (0, 0, 8, 8)).data, "x"))
    cancelled = client.responses.cancel(created.id)
    assert cancelled.status == "cancelled"
    assert client.responses.retrieve(created.id).status == "cancelled"


def test_openai_responses_our_create_is_the_official_clients(sandbox):
    data = png_bytes()
    mask = mask_for(96, 64, (0, 0, 48, 64))
    request = low_edit(data, "[invert] flip", "gpt-image-2", mask=mask)
    ours(sandbox, "openai-responses", request)
    oai(sandbox, "openai-responses").responses.create(**responses_call(data, mask.data, "[invert] flip"))
    mine, theirs = creates(sandbox, "/responses")
    same_request(mine, theirs)
    assert mine["content_type"] == "application/json" and mine["auth"] == "Bearer"
    assert mine["json"] == theirs["json"]


# --- Replicate ---------------------------------------------------------------------------------------------


def rep(sandbox):
    return replicate.Client(api_token=KEY, base_url=sandbox.base_urls["replicate"])


def replicate_input(data: bytes) -> dict:
    return {
        "prompt": "[tint] warm",
        "input_images": ["data:image/png;base64," + base64.b64encode(data).decode()],
        "aspect_ratio": "3:2",
        "number_of_images": 1,
        "quality": "low",
        "background": "auto",
        "output_format": "png",
    }


def test_replicate_prediction_wait_and_result_with_the_official_client(sandbox):
    sandbox.configure(latency=0.5)
    client = rep(sandbox)
    prediction = client.models.predictions.create(
        model="openai/gpt-image-2", input=replicate_input(png_bytes()), wait=1
    )
    assert prediction.id and prediction.status in ("starting", "processing", "succeeded")
    prediction.wait()
    assert prediction.status == "succeeded"
    (url,) = prediction.output
    assert url.startswith(sandbox.cdn_url)


def test_replicate_cancel_with_the_official_client(sandbox):
    sandbox.configure(latency=8.0)
    client = rep(sandbox)
    prediction = client.models.predictions.create(
        model="openai/gpt-image-2", input=replicate_input(png_bytes())
    )
    prediction.cancel()
    prediction.reload()
    assert prediction.status == "canceled"


def test_replicate_file_upload_with_the_official_client_feeds_a_prediction(sandbox):
    client = rep(sandbox)
    data = png_bytes()
    uploaded = client.files.create(io.BytesIO(data), filename="layer.png", content_type="image/png")
    assert uploaded.size == len(data) and uploaded.urls["get"]
    entry = creates(sandbox, "/v1/files")[-1]
    assert entry["auth"] == "Bearer"
    assert [(p["name"], p["content_type"]) for p in entry["form"] if p["filename"]] == [
        ("content", "image/png")
    ]
    inputs = dict(replicate_input(data), input_images=[uploaded.urls["get"]])
    prediction = client.models.predictions.create(model="openai/gpt-image-2", input=inputs, wait=5)
    prediction.wait()
    assert prediction.status == "succeeded", prediction.error


def test_replicate_our_create_is_the_official_clients(sandbox):
    data = png_bytes(96, 64)
    request = low_edit(data, "[tint] warm", "openai/gpt-image-2", size=Size(1536, 1024))
    ours(sandbox, "replicate", request, wait=5)
    rep(sandbox).models.predictions.create(model="openai/gpt-image-2", input=replicate_input(data), wait=5)
    mine, theirs = creates(sandbox, "/predictions")
    same_request(mine, theirs)
    assert mine["auth"] == "Bearer" and mine["headers"]["prefer"] == theirs["headers"]["prefer"] == "wait=5"
    assert mine["json"] == theirs["json"]


# --- fal ---------------------------------------------------------------------------------------------------

FAL_HOSTS = ("queue.fal.run", "fal.run", "rest.fal.ai", "v3.fal.media", "v3b.fal.media", "rest.alpha.fal.ai")


@pytest.fixture
def fal(sandbox, monkeypatch):
    """A fal_client whose https requests to fal's hosts land on the sandbox (loopback only)."""
    target = httpx.URL(sandbox.base_urls["fal"])
    original = httpx.HTTPTransport.handle_request

    def handle(self, request):
        if request.url.host in FAL_HOSTS:
            path = target.path.rstrip("/") + request.url.path
            request.url = request.url.copy_with(
                scheme=target.scheme, host=target.host, port=target.port, path=path
            )
            request.headers["Host"] = f"{target.host}:{target.port}"
        elif request.url.host not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"fal_client tried to reach {request.url.host}")
        return original(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle)
    return fal_client.SyncClient(key=KEY, default_timeout=30)


def fal_arguments(data: bytes) -> dict:
    return {
        "prompt": "[tint] warm",
        "image_urls": ["data:image/png;base64," + base64.b64encode(data).decode()],
        "image_size": {"width": 1024, "height": 1024},
        "num_images": 1,
        "output_format": "png",
        "background": "auto",
        "quality": "low",
    }


def test_fal_submit_status_result_with_the_official_client(sandbox, fal):
    sandbox.configure(latency=0.4)
    handle = fal.submit("openai/gpt-image-2/edit", arguments=fal_arguments(png_bytes()))
    assert handle.request_id
    deadline = time.monotonic() + 10
    status = handle.status()
    while not isinstance(status, fal_client.Completed) and time.monotonic() < deadline:
        time.sleep(0.05)
        status = handle.status()
    assert isinstance(status, fal_client.Completed)
    result = handle.get()
    assert result["images"] and result["images"][0]["url"].startswith(sandbox.cdn_url)


def test_fal_cancel_with_the_official_client(sandbox, fal):
    sandbox.configure(latency=8.0)
    handle = fal.submit("openai/gpt-image-2/edit", arguments=fal_arguments(png_bytes()))
    handle.cancel()
    jobs = [j for j in sandbox.stats()["jobs"] if j["provider"] == "fal"]
    assert jobs[-1]["cancel_requested"]


def test_fal_upload_with_the_official_client_feeds_a_submit(sandbox, fal):
    sandbox.configure(latency=0.1)
    data = png_bytes()
    url = fal.upload(data, "image/png", "layer.png")
    assert url.startswith(("http://", "https://"))
    up = [r for r in sandbox.requests() if r["path"].endswith(("/files/upload", "/storage/upload/initiate"))]
    assert up, sandbox.requests()
    arguments = dict(fal_arguments(data), image_urls=[url])
    result = fal.subscribe("openai/gpt-image-2/edit", arguments=arguments)
    assert result["images"]


def test_fal_our_submit_is_the_official_clients(sandbox, fal):
    data = png_bytes()
    request = low_edit(data, "[tint] warm", "openai/gpt-image-2/edit", size=Size(1024, 1024))
    ours(sandbox, "fal", request)
    fal.submit("openai/gpt-image-2/edit", arguments=fal_arguments(data))
    mine, theirs = [r for r in sandbox.requests() if r["method"] == "POST" and r["path"].endswith("/edit")]
    same_request(mine, theirs)
    assert mine["auth"] == "Key"
    assert mine["json"] == theirs["json"]


# --- each::labs: no official Python client; its API reference's example ------------------------------------


def test_eachlabs_create_matches_the_documented_example(sandbox):
    """create-prediction.mdx: `POST /v1/prediction` with `Authorization: Bearer`, a JSON body with `model`,
    `version` and `input` (and optionally `webhook_url`), and the model's inputs inside `input`."""
    data = png_bytes()
    request = low_edit(data, "[tint] warm", "gpt-image-v2-edit", size=Size(1024, 1024))
    ours(sandbox, "eachlabs", request)
    (entry,) = [
        r
        for r in sandbox.requests()
        if r["method"] == "POST" and r["path"].rstrip("/").endswith("/v1/prediction")
    ]
    assert entry["auth"] == "Bearer" and entry["content_type"] == "application/json"
    body = entry["json"]
    assert set(body) <= {"model", "version", "input", "webhook_url"} and {"model", "version", "input"} <= set(
        body
    )
    assert body["model"] == "gpt-image-v2-edit" and isinstance(body["version"], str)
    assert body["input"]["prompt"] == "[tint] warm"


# --- uploads: a picture too big to inline goes the way the official clients send files -------------------


def noise_png(min_bytes: int) -> bytes:
    """A PNG of random pixels at least `min_bytes` long (random data does not compress)."""
    side = 64
    while True:
        buf = io.BytesIO()
        Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, "PNG")
        if buf.tell() >= min_bytes:
            return buf.getvalue()
        side *= 2


def file_parts(entry: dict) -> list[tuple]:
    return [(p["name"], p["filename"], p["content_type"], p["value"]) for p in entry["form"] if p["filename"]]


def test_replicate_our_upload_is_the_official_clients(sandbox):
    data = noise_png(300_000)
    request = low_edit(data, "[identity] big", "openai/gpt-image-2", size=Size(1024, 1024))
    ours(sandbox, "replicate", request, wait=5)
    rep(sandbox).files.create(io.BytesIO(data), filename="layer.png", content_type="image/png")
    mine, theirs = creates(sandbox, "/v1/files")
    same_request(mine, theirs)
    assert mine["auth"] == "Bearer" and file_parts(mine) == file_parts(theirs)
    # the prediction names the file by its API URL, as the official client does with file inputs
    (prediction,) = creates(sandbox, "/predictions")
    (url,) = prediction["json"]["input"]["input_images"]
    assert url.startswith(sandbox.base_urls["replicate"] + "/v1/files/")


def test_fal_our_upload_is_the_official_clients(sandbox, fal):
    data = noise_png(300_000)
    request = low_edit(data, "[identity] big", "openai/gpt-image-2/edit", size=Size(1024, 1024))
    ours(sandbox, "fal", request)
    mine = [r for r in sandbox.requests() if "/edit" not in r["path"]]
    sandbox.reset()
    sandbox.configure(latency=0.3)
    fal.upload(data, "image/png", "layer.png")
    theirs = sandbox.requests()

    def steps(entries):
        return [
            (
                r["method"],
                r["path"].rsplit("/", 2)[-2:] if "/files/" in r["path"] else r["path"],
                r["auth"],
                r["content_type"],
                r.get("body"),
            )
            for r in entries
        ]

    assert steps(mine) == steps(theirs)
    assert any(r.get("body") == blob(data) for r in mine)


# --- error answers: the official clients read them into their own typed errors ----------------------------


def test_openai_errors_are_read_by_the_official_client(sandbox):
    client = oai(sandbox)
    data = png_bytes()
    with pytest.raises(openai.BadRequestError) as bad:
        client.images.edit(
            image=("layer.png", data, "image/png"), prompt="x", model="gpt-image-2", size="1000x1000"
        )
    assert bad.value.code == "invalid_value" and bad.value.param == "size"
    sandbox.inject("openai", "create", "moderation")
    with pytest.raises(openai.BadRequestError) as refused:
        client.images.edit(image=("layer.png", data, "image/png"), prompt="x", model="gpt-image-2")
    assert refused.value.code == "moderation_blocked"
    wrong = openai.OpenAI(api_key="invalid", base_url=sandbox.base_urls["openai"], max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.images.edit(image=("layer.png", data, "image/png"), prompt="x", model="gpt-image-2")
    with pytest.raises(openai.NotFoundError):
        oai(sandbox, "openai-responses").responses.retrieve("resp_nothing_here")
    sandbox.inject("openai", "create", "http_429", retry_after=0.1)
    with pytest.raises(openai.RateLimitError):
        client.images.edit(image=("layer.png", data, "image/png"), prompt="x", model="gpt-image-2")


def test_replicate_and_fal_errors_are_read_by_the_official_clients(sandbox, fal):
    wrong = replicate.Client(api_token="invalid", base_url=sandbox.base_urls["replicate"])
    with pytest.raises(replicate.exceptions.ReplicateError) as refused:
        wrong.models.predictions.create(model="openai/gpt-image-2", input=replicate_input(png_bytes()))
    assert refused.value.status == 401
    with pytest.raises(replicate.exceptions.ReplicateError) as invalid:
        rep(sandbox).models.predictions.create(
            model="openai/gpt-image-2", input=dict(replicate_input(png_bytes()), aspect_ratio="7:1")
        )
    assert invalid.value.status == 422 and "aspect_ratio" in (invalid.value.detail or "")
    bad_fal = fal_client.SyncClient(key="invalid", default_timeout=30)
    with pytest.raises(fal_client.FalClientHTTPError) as http_error:
        bad_fal.submit("openai/gpt-image-2/edit", arguments=fal_arguments(png_bytes()))
    assert http_error.value.status_code == 401
