"""The slow half of an edit, run on a worker thread: encode, send, wait, fetch, decode.

Nothing here touches krita or a widget. QImage is used for PNG encode/decode and scaling because Qt
documents QImage as reentrant (safe on any thread as long as each thread has its own objects) and it is
far faster than a pure-Python codec on 4096² pictures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from gptedit import engine, recipe
from gptedit.errors import BadInput, GptEditError
from gptedit.geometry import fit_within
from gptedit.jobs import CancelToken
from gptedit.ledger import JobRecord, SentRegion
from gptedit.models import EditRequest, ImageInput, JobState
from gptedit.pngio import MASK_ALPHA
from gptedit.settings import Settings

from . import seam_apply
from .canvas_read import Snapshot
from .colors import srgb8_to_native
from .qt import (
    FAST,
    FORMAT_ALPHA8,
    FORMAT_ARGB32,
    IGNORE_ASPECT,
    SMOOTH,
    QBuffer,
    QByteArray,
    QImage,
    image_bytes,
    qbytes,
)

#: QImage.save quality for uploads. Qt's PNG writer turns quality q into zlib level (100 - q) * 9 / 91, so
#: 80 is level 1 (with libpng's row filters): on a photo at 2048² ~15 % more bytes than the default (level
#: 9-ish) in a fifth of its encode time or less, the fastest lossless upload at 10 Mbit/s
#: (tests/bench/upload_bench.py). Qt's lossless WebP (quality 100) is 30 % smaller but slower to encode, about
#: even at 10 Mbit/s, and Debian's Krita has no Qt WebP writer at all, so PNG is what every Krita can make.
PNG_QUALITY = 80
#: longest side of the region kept with a job for measuring answers inserted later (`kept_region`)
KEPT_SIDE = 2048


def png_bytes(img) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    from .qt import WRITE_ONLY

    buf.open(WRITE_ONLY)
    if not img.save(buf, "PNG", PNG_QUALITY):
        raise BadInput("Could not encode the picture as PNG.")
    buf.close()
    return qbytes(data)


def _view(pixels: bytes, width: int, height: int, fmt=FORMAT_ARGB32, depth: int = 4) -> QImage:
    """A QImage over `pixels` without a copy: only for as long as the caller holds `pixels`. The copy
    `bgra_qimage` makes is one call holding Python's GIL on this thread (~35 ms at 4096², ~75 ms at 8192×4096
    measured with PyQt6; PyQt holds it through QImage's calls), and the GUI thread's Python waits for it."""
    return QImage(pixels, width, height, width * depth, fmt)


def scaled_picture(bgra: bytes, width: int, height: int, send_w: int, send_h: int) -> QImage:
    """The picture at the size sent (a view of `bgra` when that is its own size)."""
    img = _view(bgra, width, height)
    if (send_w, send_h) != (width, height):
        img = img.scaled(send_w, send_h, IGNORE_ASPECT, SMOOTH)
    return img


def encode_image(
    bgra: bytes, width: int, height: int, send_w: int, send_h: int, name: str, pictures: dict | None = None
) -> ImageInput:
    """`pictures`, when given, keeps the scaled picture by its size for `kept_region`."""
    img = scaled_picture(bgra, width, height, send_w, send_h)
    if pictures is not None:
        pictures[(send_w, send_h)] = img
    return ImageInput(png_bytes(img), "image/png", send_w, send_h, name)


def encode_mask(mask: bytes, width: int, height: int, send_w: int, send_h: int) -> ImageInput:
    """OpenAI's convention: fully transparent where the model may edit (the core's rule, MASK_ALPHA), opaque
    elsewhere; encoded by Qt like the picture. Scaled as one byte a pixel (Qt's Alpha8) and widened to
    black with that alpha only at the size sent, not at the region's (128 MB at 8192×4096)."""
    alpha = mask.translate(MASK_ALPHA)
    img = _view(alpha, width, height, FORMAT_ALPHA8, 1)
    if (send_w, send_h) != (width, height):
        img = img.scaled(send_w, send_h, IGNORE_ASPECT, FAST)
    return ImageInput(png_bytes(img.convertToFormat(FORMAT_ARGB32)), "image/png", send_w, send_h, "mask.png")


def kept_region(snapshot: Snapshot, pictures: dict | None = None) -> SentRegion:
    """The region a job keeps for measuring answers inserted later (`Ledger.save_sent`, encoded as PNG in
    pure Python on this thread before the create request goes out): at most KEPT_SIDE on its longer side,
    scaled by Qt, since at 4096² the encoding alone delays the request by seconds (docs/architecture.md has
    the figures). A later insert brings it back to the region's size (history._measure_later), as it does
    for GIMP's region kept at the size it sent; the drift is measured on copies of about 320 pixels.
    `pictures`: the pictures `build_request` scaled, by size; the one at this size is used, not made again."""
    box = snapshot.plan.context
    size = fit_within(box.width, box.height, KEPT_SIDE)
    if (size.width, size.height) == (box.width, box.height):
        return SentRegion(box.width, box.height, snapshot.pixels, "BGRA")
    img = (pictures or {}).get((size.width, size.height))
    if img is None:
        img = scaled_picture(snapshot.pixels, box.width, box.height, size.width, size.height)
    return SentRegion(size.width, size.height, image_bytes(img.convertToFormat(FORMAT_ARGB32)), "BGRA")


def build_request(
    snapshot: Snapshot, settings: Settings, prompt: str, pictures: dict | None = None
) -> EditRequest:
    """Encode what the recipe says this model takes, then let the recipe build the request. `pictures`
    (see encode_image) receives the picture as sent, so that `kept_region` need not scale it again."""
    plan = snapshot.plan
    box, send = plan.context, plan.send_size
    sending = recipe.what_to_send(settings)
    images = [
        encode_image(snapshot.pixels, box.width, box.height, send.width, send.height, "image.png", pictures)
    ]
    for i, (_name, ref) in enumerate(snapshot.references[: sending.references]):
        images.append(
            encode_image(ref, box.width, box.height, send.width, send.height, f"reference-{i + 1}.png")
        )
    mask = None
    if snapshot.mask is not None and sending.mask:
        mask = encode_mask(snapshot.mask, box.width, box.height, send.width, send.height)
    markup = None
    if snapshot.markup is not None:
        # scaled like the picture, so every stroke stays over what it points at
        markup = encode_image(snapshot.markup, box.width, box.height, send.width, send.height, "markup.png")
    return recipe.build_request(settings, prompt, images, mask=mask, markup=markup, size=plan.request_size)


def decode_result(data: bytes, width: int, height: int) -> bytes:
    """A result file's bytes → B,G,R,A at exactly width×height (the placement box)."""
    img = QImage.fromData(data)
    if img.isNull():
        raise BadInput("The result is not a picture Qt can read.")
    img = img.convertToFormat(FORMAT_ARGB32)
    if (img.width(), img.height()) != (width, height):
        # The model answers at its own size (e.g. 1536x1024 for "auto"); the context box was grown to
        # that aspect (geometry.plan_edit), so this scale does not distort.
        img = img.scaled(width, height, IGNORE_ASPECT, SMOOTH)
    return image_bytes(img)


def decode_file(path: str, width: int, height: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise GptEditError(f"The saved result {path} cannot be read ({exc}).") from exc
    return decode_result(data, width, height)


@dataclass
class Outcome:
    """What the worker hands back to the GUI thread."""

    record: JobRecord | None = None
    #: decoded results, B,G,R,A at the placement size, one per variation
    images: list[bytes] = field(default_factory=list)
    error: str = ""
    #: the mask to give the layers (the selection with a soft edge); None = the snapshot's own
    mask: bytes | None = None
    #: what the seam correction did, one per variation
    seam: list = field(default_factory=list)
    #: the images already in the pixel format of `native_color` (the document's space when the job was
    #: started), where that conversion is plain arithmetic (colors.srgb8_to_native); None = Krita converts
    native: list[bytes] | None = None
    native_color: object = None
    #: (what, start, end) in time.monotonic() seconds of the worker's steps: encoding the upload ("encode"),
    #: and after the answer was saved decoding and correcting it ("seam"), converting it ("convert"); the
    #: benchmark prints them
    timings: list[tuple[str, float, float]] = field(default_factory=list)


def run_job(
    snapshot: Snapshot, settings: Settings, prompt: str, *, listener, cancel: CancelToken, on_record=None
) -> Outcome:
    """Blocking; call on a worker thread. Errors come back as messages, never as exceptions."""
    try:
        t0 = time.monotonic()
        pictures: dict = {}
        request = build_request(snapshot, settings, prompt, pictures)
        # The selection and the region it was made on are kept beside the job's results before anything is
        # sent, so even a job resumed after a crash can be inserted again with its mask and corrected for
        # drift like a fresh answer (from History, or from GIMP's Recent results). Without a selection
        # nothing is corrected later and the engine keeps no region, so none is made (at 4096² its scaling
        # would only delay the request).
        sent = kept_region(snapshot, pictures) if snapshot.mask is not None else None
        encoded = ("encode", t0, time.monotonic())
        record = engine.run_edit(
            settings,
            request,
            origin="krita",
            context=snapshot.job_context(),
            listener=listener,
            cancel=cancel,
            selection=snapshot.mask,
            sent=sent,
        )
    except GptEditError as exc:
        return Outcome(error=exc.message if hasattr(exc, "message") else str(exc))
    except Exception as exc:  # a bug: still a message in the docker, never a dialog
        return Outcome(error=f"Unexpected problem: {exc!r}")
    outcome = finish(
        record,
        snapshot.plan.context.width,
        snapshot.plan.context.height,
        snapshot,
        seam_apply.options_from(settings, masked=request.mask is not None),
    )
    outcome.timings.insert(0, encoded)
    return outcome


def finish(
    record: JobRecord,
    width: int,
    height: int,
    snapshot: Snapshot | None = None,
    options: seam_apply.SeamOptions | None = None,
) -> Outcome:
    """Decode a finished job's result files (also used after resuming a job). With the snapshot that was
    sent, each answer is corrected for drift outside the selection (seam_apply)."""
    if record.state is not JobState.FETCHED:
        return Outcome(record=record, error=record.error or f"The job ended {record.state.value}.")
    try:
        if snapshot is None:
            return Outcome(record=record, images=[decode_file(p, width, height) for p in record.results])
        t0 = time.monotonic()
        images, corrections = seam_apply.correct(
            record.results, snapshot.pixels, width, height, snapshot.mask, options or seam_apply.SeamOptions()
        )
        timings = [("seam", t0, time.monotonic())]
    except GptEditError as exc:
        return Outcome(record=record, error=str(exc))
    mask = corrections[0].mask if corrections else None
    native = None
    if not snapshot.color.native_srgb8:
        t0 = time.monotonic()
        converted = [srgb8_to_native(snapshot.color, img) for img in images]
        native = converted if all(c is not None for c in converted) else None
        timings.append(("convert", t0, time.monotonic()))
    return Outcome(
        record=record,
        images=images,
        mask=mask,
        seam=corrections,
        native=native,
        native_color=snapshot.color if native is not None else None,
        timings=timings,
    )
