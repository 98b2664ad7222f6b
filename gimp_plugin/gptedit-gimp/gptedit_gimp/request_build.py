"""Turn a `Snapshot` into an `EditRequest` (what the recipe says this model takes, encoded as PNG).

Runs on the worker thread (PNG encoding of a 2048-pixel region takes a moment): no `gi` here, only the
core, so the unit tests run it outside GIMP too.
"""

from __future__ import annotations

from gptedit import recipe
from gptedit.geometry import resize_nearest
from gptedit.models import EditRequest, ImageInput
from gptedit.pngio import encode_png, openai_mask_png
from gptedit.settings import Settings

#: zlib level 1 with the Up row filter: on a photo at 2048² ~4 % more bytes than level 6 in about a quarter
#: of the time, the fastest lossless upload at 10 Mbit/s that GIMP's Python can make
#: (tests/bench/upload_bench.py; GEGL's webp-save is lossy only, its png-save is slower at the same size)
PNG_LEVEL, PNG_FILTER = 1, 2


def upload_png(width: int, height: int, rgba: bytes) -> bytes:
    return encode_png(width, height, rgba, 4, level=PNG_LEVEL, filter_type=PNG_FILTER)


def build_request(snapshot, settings: Settings, prompt: str) -> EditRequest:
    """Encode what the recipe says this model takes (the selection goes as a mask only to models that take
    one; for the others it still shapes the result through the layer mask GIMP adds on insertion), then let
    the recipe build the request."""
    sending = recipe.what_to_send(settings)
    px = snapshot.pixels
    images = [
        ImageInput(upload_png(px.width, px.height, px.rgba), "image/png", px.width, px.height, "image.png")
    ]
    for i, ref in enumerate(snapshot.references[: sending.references]):
        images.append(
            ImageInput(
                upload_png(ref.width, ref.height, ref.rgba),
                "image/png",
                ref.width,
                ref.height,
                f"reference-{i + 1}.png",
            )
        )
    mask = None
    if snapshot.mask is not None and sending.mask:
        ctx = snapshot.plan.context
        sel = resize_nearest(snapshot.mask, ctx.width, ctx.height, px.width, px.height)
        mask = ImageInput(
            openai_mask_png(px.width, px.height, sel), "image/png", px.width, px.height, "mask.png"
        )
    markup = None
    if getattr(snapshot, "markup", None) is not None:
        mk = snapshot.markup
        markup = ImageInput(
            encode_png(mk.width, mk.height, mk.rgba, 4), "image/png", mk.width, mk.height, "markup.png"
        )
    return recipe.build_request(
        settings, prompt, images, mask=mask, markup=markup, size=snapshot.plan.request_size
    )
