"""Helpers for the provider conformance suite: run an edit through the real engine against the sandbox."""

from __future__ import annotations

import io
import threading

from gptedit.engine import run_edit
from gptedit.jobs import CancelToken, PollPolicy
from gptedit.ledger import Ledger
from gptedit.models import EditRequest, ImageInput
from gptedit.pngio import openai_mask_png
from gptedit.settings import resolve
from PIL import Image

PROVIDERS = ("eachlabs", "openai", "openai-responses", "replicate", "fal")
#: a model per provider that can make several variations (Replicate's gpt-image-2 makes one)
MULTI_MODEL = {
    "eachlabs": "gpt-image-v2-edit",
    "openai": "gpt-image-2",
    "replicate": "openai/gpt-image-1.5",
    "fal": "openai/gpt-image-2/edit",
}
FAST = PollPolicy(first=0.05, factor=1.5, cap=0.2, hold=1.0, max_transient=4.0)


def picture(width: int = 96, height: int = 64) -> tuple[Image.Image, ImageInput]:
    img = Image.new("RGBA", (width, height))
    img.putdata(
        [((x * 7) % 256, (y * 11) % 256, (x + y) % 256, 255) for y in range(height) for x in range(width)]
    )
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return img, ImageInput(buf.getvalue(), "image/png", width, height)


def settings_for(sandbox, provider: str, **flags):
    base = {"provider": provider, "base_url": sandbox.base_urls[provider], "api_key": "test-key-123"}
    base.update(flags)
    s = resolve(base, env={}, config={})
    return s


def request_for(settings, prompt: str, image: ImageInput, **kw) -> EditRequest:
    kw.setdefault("model", settings.model)
    kw.setdefault("quality", settings.quality)
    kw.setdefault("output_format", settings.output_format)
    kw.setdefault("images", [image])  # or several: the first is edited, the rest are references
    return EditRequest(prompt=prompt, **kw)


class Recorder:
    def __init__(self):
        self.events = []
        self.lock = threading.Lock()

    def __call__(self, event):
        with self.lock:
            self.events.append(event)

    def states(self):
        with self.lock:
            return [e.state.value for e in self.events if e.kind.value == "state"]


def edit(
    sandbox,
    provider: str,
    prompt: str = "[identity] keep it",
    *,
    image=None,
    settings_flags=None,
    cancel=None,
    listener=None,
    refs=(),
    **request_kw,
):
    settings = settings_for(sandbox, provider, **(settings_flags or {}))
    image = image or picture()[1]
    request = request_for(settings, prompt, image, **request_kw)
    request.images.extend(refs)
    ledger = Ledger()
    rec = listener or Recorder()
    job = run_edit(
        settings,
        request,
        origin="test",
        listener=rec,
        cancel=cancel or CancelToken(),
        ledger=ledger,
        policy=FAST,
    )
    return job, rec, ledger


def decoded(path) -> Image.Image:
    return Image.open(path).convert("RGBA")


def mask_for(width: int, height: int, box: tuple[int, int, int, int]) -> ImageInput:
    x0, y0, x1, y1 = box
    sel = bytearray(width * height)
    for y in range(y0, y1):
        sel[y * width + x0 : y * width + x1] = b"\xff" * (x1 - x0)
    return ImageInput(openai_mask_png(width, height, bytes(sel)), "image/png", width, height, "mask.png")
