"""Upload formats for slow links (run by `python3 build.py bench`).

Every provider reads PNG and WebP edit inputs (they all pass them to OpenAI's edit endpoint, which takes
"png, webp, or jpg": https://platform.openai.com/docs/api-reference/images/createEdit); JPEG is lossy, so
only PNG and lossless WebP are candidates. For a photo-like picture at 1024² and 2048² (the largest side
sent by default) this prints, per encoder the plugins can use, the encode time, the bytes sent, the time
those bytes take at 10 Mbit/s and the sum, as ratios to what the GIMP plug-in sent before (our own PNG
writer, zlib level 6, no row filter). Encoders: our writer (`gptedit.pngio`, the only one inside GIMP's
Python without GEGL), Qt's PNG and WebP writers (what Krita's QImage has; PyQt6 here, the same libpng and
libwebp), and libpng/libwebp through Pillow (the libraries GEGL's png-save and webp-save use).
Every lossless candidate is decoded again and compared with the input."""

from __future__ import annotations

import io
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "shared"), str(ROOT / "gimp_plugin" / "gptedit-gimp")]

LINK_BITS_PER_S = 10e6
SIZES = (1024, 2048)
#: standard deviation of the grain added per channel (a clean phone photo has about this much)
GRAIN = 4
#: what the Krita plug-in passes to QImage.save for uploads (read from its source: importing it needs Krita)
KRITA_PNG_QUALITY = int(
    re.search(
        r"^PNG_QUALITY = (\d+)",
        (ROOT / "krita_plugin/gptedit_krita/worker.py").read_text(encoding="utf-8"),
        re.M,
    ).group(1)
)


def photo_like(side: int):
    """The sample landscape scaled up, with photo-like grain (a smooth synthetic picture would flatter every
    encoder)."""
    from PIL import Image, ImageChops

    base = Image.open(ROOT / "shared/samples/landscape.png").convert("RGB")
    base = base.resize((side, side), Image.BICUBIC)
    grain = Image.merge("RGB", [Image.effect_noise((side, side), GRAIN) for _ in range(3)])
    img = ImageChops.add(base, grain, scale=1.0, offset=-128)
    return img.convert("RGBA")


def timed(fn, repeat: int = 2) -> tuple[float, bytes]:
    best, out = float("inf"), b""
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def encoders(img):
    from gptedit.pngio import encode_png
    from gptedit_gimp import request_build

    rgba = img.tobytes()
    w, h = img.size
    yield "ours PNG z6 (GIMP before)", lambda: encode_png(w, h, rgba, 4, level=6)
    yield "ours PNG z1 Up (GIMP now)", lambda: request_build.upload_png(w, h, rgba)
    yield "ours PNG z6 Up", lambda: encode_png(w, h, rgba, 4, level=6, filter_type=2)

    def pil(fmt, **kw):
        def run():
            buf = io.BytesIO()
            img.save(buf, fmt, **kw)
            return buf.getvalue()

        return run

    yield "libpng z1 (Pillow)", pil("PNG", compress_level=1)
    yield "libpng z6 (Pillow)", pil("PNG", compress_level=6)
    yield "libwebp lossless m0 (Pillow)", pil("WEBP", lossless=True, method=0, quality=0)
    yield "libwebp lossless m4 (Pillow)", pil("WEBP", lossless=True, method=4, quality=50)
    try:
        from PyQt6.QtCore import QBuffer, QByteArray, QIODevice
        from PyQt6.QtGui import QImage, QImageWriter
    except ImportError:
        return
    qimg = QImage(rgba, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
    formats = {bytes(f).decode() for f in QImageWriter.supportedImageFormats()}

    def qt(fmt, quality):
        def run():
            data = QByteArray()
            buf = QBuffer(data)
            buf.open(QIODevice.OpenModeFlag.WriteOnly)
            if not qimg.save(buf, fmt, quality):
                raise RuntimeError(f"Qt could not write {fmt}")
            buf.close()
            return bytes(data)

        return run

    yield "Qt PNG default (Krita before)", qt("PNG", -1)
    yield "Qt PNG quality 50 (zlib 4)", qt("PNG", 50)
    yield f"Qt PNG quality {KRITA_PNG_QUALITY} (Krita now)", qt("PNG", KRITA_PNG_QUALITY)
    if "webp" in formats:  # Krita's own Qt has no WebP writer on Debian (no qt image-formats plugin)
        yield "Qt WebP quality 100 (lossless)", qt("WEBP", 100)


def lossless(img, data: bytes) -> bool:
    from PIL import Image

    back = Image.open(io.BytesIO(data)).convert("RGBA")
    return back.tobytes() == img.tobytes()


def main() -> int:
    try:
        import PIL  # noqa: F401
    except ImportError:
        print("upload_bench: skipped (needs Pillow: the test extra)")
        return 0
    print(
        f"Uploads: encode time, bytes and time at {LINK_BITS_PER_S / 1e6:.0f} Mbit/s; ratios to our PNG "
        "writer at zlib 6 (what GIMP sent before)"
    )
    header = (
        f"{'size':>5} {'encoder':<32} {'lossless':>8} {'encode':>8} {'bytes':>10} {'at 10M':>8} "
        f"{'total':>8} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    bad = []
    for side in SIZES:
        img = photo_like(side)
        base_total = None
        for name, fn in encoders(img):
            secs, data = timed(fn, repeat=1 if side > 1024 else 2)
            wire = len(data) * 8 / LINK_BITS_PER_S
            total = secs + wire
            base_total = base_total or total
            exact = lossless(img, data)
            if not exact:
                bad.append((side, name))
            if "now" in name:
                from _summary import add

                add(
                    "upload",
                    f"{side}² {name}",
                    "encode + 10 Mbit/s (s)",
                    total,
                    base_total,
                    "our PNG writer at zlib 6",
                )
            print(
                f"{side:>4}² {name:<32} {'yes' if exact else 'NO':>8} {secs:>7.2f}s {len(data):>10,} "
                f"{wire:>7.2f}s {total:>7.2f}s {total / base_total:>6.2f}"
            )
    if bad:
        print(f"upload_bench: not lossless: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
