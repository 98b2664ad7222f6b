"""Draw the bundled sample pictures (deterministic: no randomness, no fonts, only Pillow's primitives).

    .venv/bin/python shared/samples/make_samples.py

landscape.png   768x512 RGB: sky gradient, sun, hills, lake, a house and trees; the demo edits it.
sticker.png     512x512 RGBA: an opaque shape on a fully transparent background, for alpha/mask handling.
Both stay far below 200 KB so they can live in git and in test fixtures.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent


def lerp(a: tuple[int, ...], b: tuple[int, ...], t: float) -> tuple[int, ...]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def landscape(width: int = 768, height: int = 512) -> Image.Image:
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    horizon = int(height * 0.62)
    for y in range(horizon):  # sky: deep blue at the top to a pale haze at the horizon
        draw.line([(0, y), (width, y)], fill=lerp((40, 90, 170), (200, 220, 235), y / horizon))
    draw.ellipse([560, 70, 640, 150], fill=(255, 226, 120))  # sun
    draw.polygon([(0, horizon), (140, 230), (300, horizon)], fill=(96, 110, 140))  # far mountains
    draw.polygon([(200, horizon), (380, 190), (560, horizon)], fill=(110, 122, 150))
    draw.polygon([(390, 250), (380, 190), (360, 250)], fill=(235, 240, 245))  # snow cap
    for y in range(horizon, height):  # meadow, darker towards the viewer
        draw.line(
            [(0, y), (width, y)], fill=lerp((110, 160, 80), (50, 100, 40), (y - horizon) / (height - horizon))
        )
    draw.ellipse([40, horizon + 40, 380, horizon + 140], fill=(70, 130, 180))  # lake
    draw.ellipse([90, horizon + 60, 250, horizon + 90], fill=(120, 170, 210))  # its reflection
    draw.rectangle([500, 330, 620, 420], fill=(190, 80, 60))  # house
    draw.polygon([(490, 332), (560, 270), (630, 332)], fill=(90, 50, 40))
    draw.rectangle([545, 370, 575, 420], fill=(70, 45, 30))
    draw.rectangle([515, 350, 537, 372], fill=(250, 235, 170))
    for x, size in ((660, 60), (700, 80), (450, 50)):  # trees
        draw.rectangle([x - 5, 420 - size // 3, x + 5, 420], fill=(80, 55, 35))
        draw.polygon(
            [(x - size // 3, 420 - size // 3), (x, 420 - size), (x + size // 3, 420 - size // 3)],
            fill=(40, 95, 50),
        )
    return img


def sticker(size: int = 512) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse([60, 400, 452, 470], fill=(0, 0, 0, 90))  # a half-transparent shadow, under the body
    draw.ellipse([96, 128, 416, 448], fill=(200, 40, 50, 255))  # an apple-ish body
    draw.ellipse([150, 180, 220, 250], fill=(240, 120, 120, 255))  # highlight
    draw.rectangle([248, 70, 264, 150], fill=(90, 60, 30, 255))  # stem
    draw.ellipse([266, 80, 356, 130], fill=(60, 150, 60, 255))  # leaf
    return img


def main() -> None:
    for name, image in (("landscape.png", landscape()), ("sticker.png", sticker())):
        path = HERE / name
        image.save(path, optimize=True)
        print(f"{path} {image.size[0]}x{image.size[1]} {image.mode} {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
