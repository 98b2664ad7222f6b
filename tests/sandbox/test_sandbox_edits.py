"""Deterministic edits, checked pixel by pixel through the real HTTP paths."""

from __future__ import annotations

import base64

from gptedit.sandbox.edits import RESAMPLE, tint_colour, tint_strength
from PIL import Image
from sbhelpers import (
    BEARER,
    FAL_KEY,
    data_url,
    decode,
    eachlabs_upload,
    encode,
    left_half_mask,
    pattern,
    wait_for,
)


def openai_edit(sb, http, img_bytes, mask=None, **fields):
    files = [("image", ("in.png", img_bytes, "image/png"))]
    if mask is not None:
        files.append(("mask", ("mask.png", mask, "image/png")))
    r = http.post(
        sb.base_urls["openai"] + "/images/edits",
        headers=BEARER,
        files=files,
        data={"model": "gpt-image-2", **{k: str(v) for k, v in fields.items()}},
    )
    assert r.status_code == 200, r.text
    return [decode(base64.b64decode(d["b64_json"])) for d in r.json()["data"]]


def pixels(img):
    return [img.getpixel((x, y)) for y in range(img.height) for x in range(img.width)]


def inverted(px):
    r, g, b, a = px
    return 255 - r, 255 - g, 255 - b, a


def test_identity_is_pixel_exact(sb, http):
    img = pattern()
    (out,) = openai_edit(sb, http, encode(img), prompt="[identity] keep it")
    assert out.mode == "RGBA" and out.tobytes() == img.tobytes()


def test_identity_keeps_an_opaque_image_opaque(sb, http):
    img = pattern(alpha=False)
    (out,) = openai_edit(sb, http, encode(img), prompt="[identity]")
    assert out.mode == "RGB" and out.tobytes() == img.tobytes()


def test_invert_without_mask_inverts_rgb_everywhere_and_keeps_alpha(sb, http):
    img = pattern()
    (out,) = openai_edit(sb, http, encode(img), prompt="[invert]")
    assert pixels(out) == [inverted(p) for p in pixels(img)]


def test_invert_inside_the_mask_only(sb, http):
    img = pattern()
    (out,) = openai_edit(sb, http, encode(img), mask=left_half_mask(*img.size), prompt="[INVERT] left")
    for y in range(img.height):
        for x in range(img.width):
            want = inverted(img.getpixel((x, y))) if x < img.width // 2 else img.getpixel((x, y))
            assert out.getpixel((x, y)) == want


def test_requested_size_resizes_before_the_edit(sb, http):
    img = pattern(64, 96)
    (out,) = openai_edit(sb, http, encode(img), prompt="[identity]", size="672x1008")
    assert out.tobytes() == img.resize((672, 1008), RESAMPLE).tobytes()


def test_tint_is_deterministic_and_follows_the_prompt(sb, http):
    img = pattern(alpha=False)
    a1, a2 = openai_edit(sb, http, encode(img), prompt="sunset", n=2)
    (again,) = openai_edit(sb, http, encode(img), prompt="sunset")
    (other,) = openai_edit(sb, http, encode(img), prompt="moonrise")
    assert again.tobytes() == a1.tobytes() and other.tobytes() != a1.tobytes()
    colour = Image.new("RGB", img.size, tint_colour("sunset"))
    for i, got in enumerate((a1, a2)):
        assert got.tobytes() == Image.blend(img, colour, tint_strength(i)).tobytes()


def test_tint_is_the_configured_default_and_identity_can_be(sb, http):
    img = pattern()
    (tinted,) = openai_edit(sb, http, encode(img), prompt="plain words")
    assert tinted.tobytes() != img.tobytes()
    sb.configure(edit="identity")
    (same,) = openai_edit(sb, http, encode(img), prompt="plain words")
    assert same.tobytes() == img.tobytes()


def test_identity_and_invert_stay_exact_for_every_variation(sb, http):
    img = pattern()
    for out in openai_edit(sb, http, encode(img), prompt="[invert]", n=3):
        assert pixels(out) == [inverted(p) for p in pixels(img)]


def test_output_format_and_background(sb, http):
    img = pattern()
    (jpeg,) = openai_edit(sb, http, encode(img), prompt="[identity]", output_format="jpeg")
    assert jpeg.format == "JPEG" and jpeg.mode == "RGB"
    (opaque,) = openai_edit(sb, http, encode(img), prompt="[identity]", background="opaque")
    assert opaque.mode == "RGB" and opaque.tobytes() == img.convert("RGB").tobytes()
    (webp,) = openai_edit(
        sb, http, encode(img), prompt="[identity]", background="transparent", output_format="webp"
    )
    assert webp.format == "WEBP" and webp.mode == "RGBA"


def test_eachlabs_invert_with_mask_url(sb, http):
    img = pattern()
    url = eachlabs_upload(sb, http, encode(img))
    mask = eachlabs_upload(sb, http, left_half_mask(*img.size))
    body = {
        "model": "gpt-image-v2-edit",
        "version": "0.0.1",
        "input": {"prompt": "[invert]", "image_urls": [url], "mask_url": mask, "image_size": "auto"},
    }
    pid = http.post(sb.base_urls["eachlabs"] + "/v1/prediction", json=body, headers=BEARER).json()[
        "predictionID"
    ]
    done = wait_for(
        lambda: http.get(f"{sb.base_urls['eachlabs']}/v1/prediction/{pid}", headers=BEARER).json(),
        lambda b: b["status"] == "success",
    )
    out = decode(http.get(done["output"][0]).content)
    assert out.getpixel((0, 5)) == inverted(img.getpixel((0, 5)))
    assert out.getpixel((img.width - 1, 5)) == img.getpixel((img.width - 1, 5))


def test_replicate_identity_png_is_exact(sb, http):
    img = pattern()
    body = {
        "input": {"prompt": "[identity]", "input_images": [data_url(encode(img))], "output_format": "png"}
    }
    pred = http.post(
        sb.base_urls["replicate"] + "/v1/models/openai/gpt-image-2/predictions",
        json=body,
        headers={**BEARER, "Prefer": "wait=5"},
    ).json()
    assert decode(http.get(pred["output"][0]).content).tobytes() == img.tobytes()


def test_fal_identity_is_exact(sb, http):
    img = pattern()
    h = http.post(
        sb.base_urls["fal"] + "/openai/gpt-image-2/edit",
        headers=FAL_KEY,
        json={"prompt": "[identity]", "image_urls": [data_url(encode(img))]},
    ).json()
    wait_for(lambda: http.get(h["status_url"], headers=FAL_KEY), lambda r: r.status_code == 200)
    url = http.get(h["response_url"], headers=FAL_KEY).json()["images"][0]["url"]
    assert decode(http.get(url).content).tobytes() == img.tobytes()
