"""Which output sizes a model accepts.

Two kinds exist: a short fixed list (gpt-image-1, 1.5, mini and most hosted variants) and gpt-image-2's custom
sizes: any WxH with both sides multiples of 16, aspect ratio at most 3:1, longest edge at most 3840 and a
pixel count between 655,360 and 8,294,400 (OpenAI's edits reference and the community calculator,
docs/providers.md "OpenAI: request fields"; the pixel limits are not in the official schema, so the sandbox
enforces the same numbers and we keep them in one place)."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import BadInput, Unsupported
from .models import Size

STANDARD_SIZES: tuple[Size, ...] = (Size(1024, 1024), Size(1536, 1024), Size(1024, 1536))


@dataclass(frozen=True)
class SizeRule:
    """The sizes one model accepts. `fixed` empty means custom sizes by the numbers below."""

    fixed: tuple[Size, ...] = ()
    step: int = 16
    max_ratio: float = 3.0
    max_edge: int = 3840
    min_pixels: int = 655_360
    max_pixels: int = 8_294_400
    allows_auto: bool = True

    @property
    def custom(self) -> bool:
        return not self.fixed

    def choices(self) -> list[str]:
        """Sizes to offer in a menu."""
        base = [str(s) for s in (self.fixed or STANDARD_SIZES)]
        if self.custom:
            base += ["2048x2048", "2048x1152", "1152x2048", "3840x2160", "2160x3840"]
        return (["auto"] if self.allows_auto else []) + base

    def check(self, size: Size | None, model: str = "this model") -> None:
        """Raise with a message naming what is wrong and what would work."""
        if size is None:
            if not self.allows_auto:
                raise Unsupported(
                    f"{model} needs an explicit size; choose one of {', '.join(self.choices())}."
                )
            return
        if self.fixed:
            if size not in self.fixed:
                raise Unsupported(
                    f"{model} cannot make {size}; it supports {', '.join(str(s) for s in self.fixed)}"
                    + (" or auto." if self.allows_auto else ".")
                )
            return
        w, h = size.width, size.height
        problems = []
        if w <= 0 or h <= 0:
            raise BadInput(f"Size {size} has an empty side.")
        if w % self.step or h % self.step:
            problems.append(f"both sides must be multiples of {self.step}")
        if max(w, h) > self.max_edge:
            problems.append(f"the longest side may be at most {self.max_edge}")
        if max(w, h) > self.max_ratio * min(w, h):
            problems.append(f"the aspect ratio may be at most {self.max_ratio:g}:1")
        if not self.min_pixels <= w * h <= self.max_pixels:
            problems.append(f"it must have between {self.min_pixels:,} and {self.max_pixels:,} pixels")
        if problems:
            raise Unsupported(f"{model} cannot make {size}: " + "; ".join(problems) + ".")

    def accepts(self, size: Size | None) -> bool:
        try:
            self.check(size)
        except BadInput:
            return False
        return True


FIXED = SizeRule(fixed=STANDARD_SIZES)
GPT_IMAGE_2 = SizeRule()
