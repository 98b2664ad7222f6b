"""Our pure-Python PNG writer and reader (`gptedit.pngio`) against libpng through Pillow (run by
`python3 build.py bench`).

The GIMP plug-in encodes uploads and decodes answers with pngio (GIMP's Python has no Pillow), so its speed on
a big layer is what a GIMP user waits for. Printed as ratios to Pillow on the same picture in the same run:
encoding a 4096² RGBA layer (zlib 6, zlib 1, zlib 6 with the Up row filter the plug-in sends), and decoding
the Up-filtered file and two 1024² files Pillow wrote (without and with `optimize`, which picks the Average
filter for nearly every row of this picture: the slow path). Pillow picks a row filter per row where ours
writes one for all, so its files are smaller and its zlib-6 encode slower. Every output is checked against
the input. (These figures were printed by two unit tests before; a unit test asserts, a bench measures.)"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "shared")]


def photo_like(side: int):
    """Gradients and grain in every channel, alpha too (a flat picture would flatter every codec)."""
    from PIL import Image

    size = (side, side)
    bands = [Image.effect_noise(size, 30), Image.linear_gradient("L").resize(size)]
    return Image.merge(
        "RGBA", [*bands, Image.radial_gradient("L").resize(size), Image.effect_noise(size, 80)]
    )


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def pillow_png(img, **options) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **options)
    return buf.getvalue()


def pillow_decode(data: bytes) -> bytes:
    from PIL import Image

    return Image.open(io.BytesIO(data)).tobytes()


def main() -> int:
    try:
        import PIL  # noqa: F401
    except ImportError:
        print("pngio_bench: skipped (needs Pillow: the test extra)")
        return 0
    from _summary import add
    from gptedit.pngio import decode_png, encode_png

    rows, bad = [], []

    def row(case: str, ours: float, base: float, base_name: str, exact: bool) -> None:
        rows.append((case, ours, base, base_name, exact))
        if not exact:
            bad.append(case)
        add("pngio", case, "time (s)", ours, base, base_name)

    big = photo_like(4096)
    data = big.tobytes()
    for case, ours_fn, base_fn, base_name in (
        (
            "encode 4096² zlib 6",
            lambda: encode_png(4096, 4096, data, 4),
            lambda: pillow_png(big),
            "Pillow zlib 6",
        ),
        (
            "encode 4096² zlib 1",
            lambda: encode_png(4096, 4096, data, 4, level=1),
            lambda: pillow_png(big, compress_level=1),
            "Pillow zlib 1",
        ),
        (
            "encode 4096² zlib 6 + Up",
            lambda: encode_png(4096, 4096, data, 4, filter_type=2),
            lambda: pillow_png(big),
            "Pillow zlib 6",
        ),
    ):
        ours, png = timed(ours_fn)
        base, _ = timed(base_fn)
        row(case, ours, base, base_name, pillow_decode(png) == data)
    up = encode_png(4096, 4096, data, 4, filter_type=2)
    ours, got = timed(lambda: decode_png(up))
    base, _ = timed(lambda: pillow_decode(up))
    row("decode 4096² Up rows", ours, base, "Pillow decode", got.pixels == data)

    small = photo_like(1024)
    for optimize, case in ((False, "decode 1024² Sub/Up rows"), (True, "decode 1024² Average rows")):
        png = pillow_png(small, optimize=optimize)
        ours, got = timed(lambda png=png: decode_png(png))
        base, _ = timed(lambda png=png: pillow_decode(png))
        row(case, ours, base, "Pillow decode", got.pixels == small.tobytes())

    print("pngio (pure Python) against libpng through Pillow, same picture, same run")
    head = f"{'case':<28} {'ours':>8} {'Pillow':>8} {'ratio':>7}  exact"
    print(head)
    print("-" * len(head))
    for case, ours, base, _, exact in rows:
        print(f"{case:<28} {ours:>7.2f}s {base:>7.2f}s {ours / base:>7.1f}  {'yes' if exact else 'NO'}")
    if bad:
        print(f"pngio_bench: output differs from the input: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
