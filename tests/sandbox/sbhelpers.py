"""Helpers shared by the sandbox protocol tests (a plain module: conftest files are not importable)."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable
from typing import Any

import requests
from gptedit.sandbox import Sandbox
from PIL import Image

#: fast enough for a 30-second suite; tests that watch the status walk set their own latency
TEST_LATENCY = 0.05

BEARER = {"Authorization": "Bearer test-key"}
FAL_KEY = {"Authorization": "Key test-id:test-secret"}


def pattern(width: int = 48, height: int = 32, alpha: bool = True) -> Image.Image:
    """Every pixel different, alpha varying too: a resize or a channel mix-up cannot go unnoticed."""
    img = Image.new("RGBA" if alpha else "RGB", (width, height))
    img.putdata(
        [
            ((x * 37) % 256, (y * 53) % 256, (x * 11 + y * 7) % 256, 255 - (x + y) % 200)[: 4 if alpha else 3]
            for y in range(height)
            for x in range(width)
        ]
    )
    return img


def encode(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def left_half_mask(width: int, height: int) -> bytes:
    """OpenAI convention: alpha 0 marks the edit area — here the left half."""
    mask = Image.new("RGBA", (width, height), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, width // 2, height))
    return encode(mask)


def wait_for(
    fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 10.0, every: float = 0.02
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(every)


def eachlabs_upload(sb: Sandbox, http: requests.Session, data: bytes, mime: str = "image/png") -> str:
    base = sb.base_urls["eachlabs"]
    r = http.post(
        base + "/v1/upload/presign", json={"content_type": mime, "file_type": "image"}, headers=BEARER
    )
    assert r.status_code == 200, r.text
    presign = r.json()
    r = http.put(
        presign["presigned_url"], data=data, headers={"Content-Type": mime, **presign["required_headers"]}
    )
    assert r.status_code == 200, r.text
    return presign["public_url"]
