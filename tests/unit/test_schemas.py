"""Reading the providers' published input schemas (each::labs' JSON Schema and its older flat form,
Replicate's OpenAPI document with `$ref` enums), refusing what they do not list, and the day-long cache in
the data folder with built-in knowledge as the fallback."""

from __future__ import annotations

import io

import pytest
from gptedit.errors import NetworkError, Unsupported
from gptedit.models import EditRequest, ImageInput, OutputFormat, Size
from gptedit.providers import ProviderConfig, make_provider
from gptedit.providers.schemas import SchemaCache, from_json_schema, from_replicate_model
from gptedit.transport import RetryPolicy
from http_fixture import LoopbackServer, Reply
from PIL import Image

EACH = {
    "type": "object",
    "required": ["prompt", "image_url"],
    "properties": {
        "prompt": {"type": "string"},
        "image_url": {"type": "string", "format": "uri"},
        "image_size": {
            "type": "string",
            "enum": ["1024x1024", "1536x1024", "1024x1536"],
            "default": "1024x1024",
        },
        "quality": {"type": "string", "enum": ["low", "medium", "high"], "default": "high"},
        "num_images": {"type": "integer", "minimum": 1, "maximum": 4, "default": 1},
    },
}

REPLICATE = {
    "latest_version": {
        "openapi_schema": {
            "components": {
                "schemas": {
                    "Input": {
                        "type": "object",
                        "required": ["prompt"],
                        "properties": {
                            "prompt": {"type": "string"},
                            "input_images": {"type": "array", "items": {"type": "string"}},
                            "aspect_ratio": {
                                "allOf": [{"$ref": "#/components/schemas/aspect_ratio"}],
                                "default": "1:1",
                            },
                            "number_of_images": {"type": "integer", "minimum": 1, "maximum": 1, "default": 1},
                            "output_format": {
                                "allOf": [{"$ref": "#/components/schemas/output_format"}],
                                "default": "webp",
                            },
                        },
                    },
                    "aspect_ratio": {"type": "string", "enum": ["1:1", "2:3"]},
                    "output_format": {"type": "string", "enum": ["webp", "png", "jpeg"]},
                }
            }
        }
    }
}


def png(w=60, h=40) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (w, h), (1, 2, 3, 255)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def server():
    s = LoopbackServer().start()
    yield s
    s.stop()


def test_json_schema_fields_defaults_and_variants():
    s = from_json_schema("each::labs m", EACH)
    assert s.pick("image_urls", "image_url") == "image_url" and s.required == {"prompt", "image_url"}
    assert s.default("image_size") == "1024x1024" and s.default("quality") == "high"
    assert s.allows("quality", "low") and not s.allows("quality", "auto") and s.allows("unlisted", 1)
    s.check({"quality": "low", "num_images": 4, "other": "anything"})
    with pytest.raises(Unsupported, match="quality 'auto'.*low, medium, high.*Nothing was sent"):
        s.check({"quality": "auto"})
    with pytest.raises(Unsupported, match="num_images up to 4"):
        s.check({"num_images": 5})


def test_the_older_flat_form_is_read_too():
    s = from_json_schema(
        "each::labs m",
        {
            "prompt": {"type": "string", "required": True},
            "image_urls": {"type": "array", "required": True, "max_items": 16},
            "quality": {"type": "string", "enum": ["low", "medium", "high"], "default": "high"},
        },
    )
    assert s.pick("image_urls", "image_url") == "image_urls" and s.required == {"prompt", "image_urls"}
    with pytest.raises(Unsupported, match="at most 16 image_urls"):
        s.check({"image_urls": ["u"] * 17})
    assert from_json_schema("x", None) is None and from_json_schema("x", {"a": 1}) is None


def test_replicate_enums_behind_refs():
    s = from_replicate_model("Replicate openai/gpt-image-2", REPLICATE)
    assert s.fields["aspect_ratio"].enum == ("1:1", "2:3") and s.default("output_format") == "webp"
    with pytest.raises(Unsupported, match="aspect_ratio '3:2'"):
        s.check({"aspect_ratio": "3:2"})
    assert from_replicate_model("x", {"latest_version": None}) is None


def test_cache_keeps_a_schema_a_day_and_falls_back(tmp_path):
    now = [1000.0]
    cache = SchemaCache(tmp_path, ttl=86400, clock=lambda: now[0])
    calls = []

    def fetch():
        calls.append(1)
        return {"v": len(calls)}

    def broken():
        raise NetworkError("offline")

    assert cache.get("eachlabs", "https://a", "m", fetch) == {"v": 1}
    now[0] += 3600
    assert cache.get("eachlabs", "https://a", "m", fetch) == {"v": 1} and len(calls) == 1  # fresh: no request
    assert cache.get("eachlabs", "https://b", "m", fetch) == {"v": 2}  # another base URL, another entry
    now[0] += 86400
    assert cache.get("eachlabs", "https://a", "m", broken) == {"v": 1}  # stale beats nothing when offline
    assert cache.get("eachlabs", "https://a", "m", fetch) == {"v": 3}  # stale: fetched again
    assert cache.get("eachlabs", "https://a", "other", broken) is None  # never fetched: built-in knowledge


def test_eachlabs_follows_the_live_schema_before_uploading(server):
    server.add("GET", "/v1/model", Reply(json={"slug": "gpt-image-v2-edit", "request_schema": EACH}))
    p = make_provider("eachlabs", ProviderConfig("eachlabs", server.base, "K"), retry=RetryPolicy(attempts=1))
    img = ImageInput(png(), "image/png", 60, 40)
    with pytest.raises(Unsupported, match="takes one image.*Nothing was sent"):
        p.submit(EditRequest(prompt="x", model="gpt-image-v2-edit", images=[img, img]))
    assert server.requests("POST") == []  # no upload, no create
    assert server.requests("GET", "/v1/model")[0].query == "slug=gpt-image-v2-edit"
    body = p.create_payload(
        EditRequest(prompt="x", model="gpt-image-v2-edit", images=[img]),
        ["u"],
        from_json_schema("each::labs gpt-image-v2-edit", EACH),
    )
    # the schema's field name; background and output_format are not listed and at their defaults: left out
    assert body["input"] == {"prompt": "x", "image_url": "u", "image_size": "1536x1024", "num_images": 1}
    with pytest.raises(Unsupported, match="has no output_format"):
        p.create_payload(
            EditRequest(prompt="x", model="gpt-image-v2-edit", images=[img], output_format=OutputFormat.WEBP),
            ["u"],
            p.live_schema(EditRequest(prompt="x", model="gpt-image-v2-edit", images=[img])),
        )
    assert len(server.requests("GET", "/v1/model")) == 1  # the second look came from the cache


def test_eachlabs_sends_quality_auto_when_the_schema_lists_it():
    schema = from_json_schema(
        "e",
        {
            "properties": {
                "prompt": {},
                "image_urls": {},
                "image_size": {},
                "num_images": {},
                "background": {},
                "output_format": {},
                "quality": {"enum": ["auto", "low", "high"]},
            }
        },
    )
    p = make_provider("eachlabs", ProviderConfig("eachlabs", "", "K"))
    img = ImageInput(png(), "image/png", 60, 40)
    body = p.create_payload(EditRequest(prompt="x", model="gpt-image-v1-5-edit", images=[img]), ["u"], schema)
    assert body["input"]["quality"] == "auto"


def test_replicate_refuses_what_its_schema_does_not_list(server):
    server.add("GET", "/v1/models/openai/gpt-image-2", Reply(json=REPLICATE))
    p = make_provider(
        "replicate", ProviderConfig("replicate", server.base, "K"), retry=RetryPolicy(attempts=1)
    )
    img = ImageInput(png(60, 40), "image/png", 60, 40)  # 3:2 → aspect_ratio "3:2", not in this schema
    with pytest.raises(Unsupported, match="aspect_ratio '3:2'.*1:1, 2:3"):
        p.submit(EditRequest(prompt="x", model="openai/gpt-image-2", images=[img]))
    assert server.requests("POST") == []
    assert server.requests("GET")[0].headers["authorization"] == "Bearer K"
    # a square picture asks for 1:1, which is listed
    server.add(
        "POST",
        "/v1/models/openai/gpt-image-2/predictions",
        Reply(201, json={"id": "p1", "status": "starting"}),
    )
    square = ImageInput(png(40, 40), "image/png", 40, 40)
    assert p.submit(
        EditRequest(prompt="x", model="openai/gpt-image-2", images=[square], size=Size(1024, 1024))
    )
