"""The published input schemas as the sandbox serves them (each::labs' `GET /v1/model?slug=…` and
`GET /v1/models/{slug}`, Replicate's `GET /v1/models/{owner}/{name}`), the variants tests switch between, and
creates held to the variant that is published; plus the sizes of answers."""

from __future__ import annotations

import pytest
from sbhelpers import BEARER, data_url, decode, eachlabs_upload, encode, pattern, wait_for


def each_model(sb, http, slug, by="query"):
    base = sb.base_urls["eachlabs"]
    if by == "query":
        return http.get(base + "/v1/model", params={"slug": slug})
    return http.get(f"{base}/v1/models/{slug}")


@pytest.mark.parametrize("by", ["query", "path"])
def test_eachlabs_schema_is_public_and_switchable(sb, http, by):
    r = each_model(sb, http, "gpt-image-v1-5-edit", by)
    assert r.status_code == 200, r.text
    body = r.json()
    schema = body["request_schema"]
    assert body["slug"] == "gpt-image-v1-5-edit" and body["version"] == "0.0.1" and "cost" in body
    assert schema["type"] == "object" and schema["required"] == ["prompt", "image_urls"]
    props = schema["properties"]
    assert props["image_size"]["enum"] == ["1024x1024", "1536x1024", "1024x1536"]
    assert props["image_size"]["default"] == "1024x1024" and props["image_urls"]["maxItems"] == 16
    sb.configure(eachlabs_schema="image_url")
    props = each_model(sb, http, "gpt-image-v2-edit", by).json()["request_schema"]["properties"]
    assert "image_url" in props and "image_urls" not in props
    assert each_model(sb, http, "no-such-model", by).status_code == 404
    assert sb.stats()["eachlabs"]["schema_reads"] == 3


def test_eachlabs_create_follows_the_published_image_field(sb, http):
    url = eachlabs_upload(sb, http, encode(pattern()))
    base = sb.base_urls["eachlabs"]

    def create(**inp):
        return http.post(
            base + "/v1/prediction",
            headers=BEARER,
            json={"model": "gpt-image-v2-edit", "version": "0.0.1", "input": {"prompt": "x", **inp}},
        )

    assert create(image_urls=[url]).status_code == 200
    assert create(image_url=url).status_code == 400
    sb.configure(eachlabs_schema="image_url")
    assert create(image_url=url).status_code == 200
    r = create(image_urls=[url])
    assert r.status_code == 400 and "image_url" in r.json()["details"]


def test_eachlabs_omitted_size_is_the_square_default(sb, http):
    url = eachlabs_upload(sb, http, encode(pattern(60, 40)))
    r = http.post(
        sb.base_urls["eachlabs"] + "/v1/prediction",
        headers=BEARER,
        json={
            "model": "gpt-image-v1-5-edit",
            "version": "0.0.1",
            "input": {"prompt": "[identity]", "image_urls": [url]},
        },
    )
    pid = r.json()["predictionID"]
    done = wait_for(
        lambda: http.get(f"{sb.base_urls['eachlabs']}/v1/prediction/{pid}", headers=BEARER).json(),
        lambda b: b["status"] == "success",
    )
    assert decode(http.get(done["output"][0]).content).size == (1024, 1024)


@pytest.mark.parametrize(
    "variant,ratios,most",
    [("2026-08", ["1:1", "3:2", "2:3"], 1), ("2026-11", ["1:1", "3:2", "2:3", "16:9", "9:16", "auto"], 10)],
)
def test_replicate_model_schema_variants(sb, http, variant, ratios, most):
    sb.configure(replicate_schema=variant)
    r = http.get(sb.base_urls["replicate"] + "/v1/models/openai/gpt-image-2", headers=BEARER)
    assert r.status_code == 200, r.text
    model = r.json()
    oas = model["latest_version"]["openapi_schema"]
    inp = oas["components"]["schemas"]["Input"]
    assert inp["properties"]["aspect_ratio"]["allOf"] == [{"$ref": "#/components/schemas/aspect_ratio"}]
    assert oas["components"]["schemas"]["aspect_ratio"]["enum"][: len(ratios)] == ratios
    assert inp["properties"]["number_of_images"]["maximum"] == most
    # the create is held to the same schema
    create = sb.base_urls["replicate"] + "/v1/models/openai/gpt-image-2/predictions"
    img = data_url(encode(pattern()))
    r = http.post(
        create, headers=BEARER, json={"input": {"prompt": "x", "input_images": [img], "aspect_ratio": "16:9"}}
    )
    assert r.status_code == (201 if variant == "2026-11" else 422)
    r = http.post(
        create, headers=BEARER, json={"input": {"prompt": "x", "input_images": [img], "number_of_images": 2}}
    )
    assert r.status_code == (201 if most >= 2 else 422)
    assert http.get(sb.base_urls["replicate"] + "/v1/models/openai/nope", headers=BEARER).status_code == 404


def test_answers_at_the_input_size_when_asked(sb, http):
    """The switch the real-host tests use: an answer the size of the sent picture, whatever was asked."""
    sb.configure(answer_size="input")
    r = http.post(
        sb.base_urls["replicate"] + "/v1/models/openai/gpt-image-1.5/predictions",
        headers={**BEARER, "Prefer": "wait=5"},
        json={
            "input": {
                "prompt": "[identity]",
                "input_images": [data_url(encode(pattern()))],
                "aspect_ratio": "3:2",
                "output_format": "png",
            }
        },
    )
    out = decode(http.get(r.json()["output"][0]).content)
    assert out.size == pattern().size and out.tobytes() == pattern().tobytes()
