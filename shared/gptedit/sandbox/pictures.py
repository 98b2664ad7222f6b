"""Synthetic pictures of the kinds people edit, for the drift tests and the seam benchmark.

- `photo`: soft gradients, blurred shapes and fine grain (texture everywhere, no hard edges);
- `flat`: a flat-colour illustration, large areas of one colour with sharp edges;
- `lineart`: dark ink lines on paper.
Each is deterministic for a seed."""

from __future__ import annotations

import random

from PIL import Image, ImageDraw, ImageFilter

KINDS = ("photo", "flat", "lineart")


def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    rnd = random.Random(seed)
    ramp = Image.linear_gradient("L")
    img = Image.merge(
        "RGB",
        [
            ramp.resize((width, height)),
            ramp.rotate(90).resize((width, height)),
            Image.new("L", (width, height), 90),
        ],
    )
    draw = ImageDraw.Draw(img)
    side = max(width, height)
    for _ in range(60):
        x, y, r = rnd.uniform(0, width), rnd.uniform(0, height), rnd.uniform(side / 40, side / 8)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rnd.randrange(256) for _ in range(3)))
    img = img.filter(ImageFilter.GaussianBlur(side / 300))
    gw, gh = max(1, width // 4), max(1, height // 4)
    grain = Image.frombytes("L", (gw, gh), rnd.randbytes(gw * gh)).resize(
        (width, height), Image.Resampling.BICUBIC
    )
    return Image.blend(img, Image.merge("RGB", [grain] * 3), 0.15).convert("RGBA")


def flat(width: int, height: int, seed: int = 0) -> Image.Image:
    rnd = random.Random(seed)
    palette = [tuple(rnd.randrange(40, 230) for _ in range(3)) for _ in range(6)]
    img = Image.new("RGB", (width, height), palette[0])
    draw = ImageDraw.Draw(img)
    side = max(width, height)
    for _ in range(25):
        x, y, r = rnd.uniform(0, width), rnd.uniform(0, height), rnd.uniform(side / 20, side / 5)
        colour = rnd.choice(palette[1:])
        if rnd.random() < 0.5:
            draw.rectangle((x - r, y - r / 2, x + r, y + r / 2), fill=colour)
        else:
            draw.polygon([(x, y - r), (x + r, y + r), (x - r, y + r)], fill=colour)
    return img.convert("RGBA")


def lineart(width: int, height: int, seed: int = 0) -> Image.Image:
    rnd = random.Random(seed)
    img = Image.new("RGB", (width, height), (246, 242, 232))
    draw = ImageDraw.Draw(img)
    side = max(width, height)
    stroke = max(1, side // 300)
    for _ in range(70):
        points = [(rnd.uniform(0, width), rnd.uniform(0, height)) for _ in range(3)]
        draw.line(points, fill=(25, 22, 30), width=stroke, joint="curve")
    for _ in range(20):
        x, y, r = rnd.uniform(0, width), rnd.uniform(0, height), rnd.uniform(side / 30, side / 10)
        draw.ellipse((x - r, y - r, x + r, y + r), outline=(25, 22, 30), width=stroke)
    return img.convert("RGBA")


def make(kind: str, width: int, height: int, seed: int = 0) -> Image.Image:
    return {"photo": photo, "flat": flat, "lineart": lineart}[kind](width, height, seed)


def ellipse_mask(
    width: int, height: int, box: tuple[float, float, float, float] = (0.3, 0.3, 0.7, 0.65)
) -> Image.Image:
    """A hard-edged elliptic selection ("L", 255 inside) over the given fractions of the picture."""
    mask = Image.new("L", (width, height), 0)
    left, top, right, bottom = box
    ImageDraw.Draw(mask).ellipse((width * left, height * top, width * right, height * bottom), fill=255)
    return mask
