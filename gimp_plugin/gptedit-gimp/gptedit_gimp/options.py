"""The procedure's options as plain data, and how they become core settings and request options.

No `gi` here: the same tables drive registration in GIMP (procedures.py) and the unit tests outside GIMP.
Every option is a real procedure argument, so scripts can set all of them; "default" / empty / 0 always
means "take it from the shared settings" (flags → environment → the one config file → defaults), which is
how a key or provider chosen in Krita or on the command line also applies here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gptedit.catalog import PROVIDERS
from gptedit.models import Background, Complexity, OutputFormat, Quality
from gptedit.settings import PROVIDER_NAMES

DEFAULT = "default"

#: (nick, label) pairs for each choice argument; the first entry is the argument's default.
PROVIDER_CHOICES = [(DEFAULT, "From settings")] + [
    (name, "Sandbox (offline test server)" if name == "sandbox" else PROVIDERS[name].label)
    for name in PROVIDER_NAMES
]
QUALITY_CHOICES = [(DEFAULT, "From settings")] + [(q.value, q.value.capitalize()) for q in Quality]
COMPLEXITY_CHOICES = [(DEFAULT, "Model's default")] + [(c.value, c.value.capitalize()) for c in Complexity]
FORMAT_CHOICES = [(DEFAULT, "From settings")] + [(f.value, f.value.upper()) for f in OutputFormat]
BACKGROUND_CHOICES = [(DEFAULT, "From settings")] + [(b.value, b.value.capitalize()) for b in Background]
SOURCE_CHOICES = [
    ("layer", "Current layer"),
    ("visible", "Everything visible (the composite)"),
]
RECENT_ACTIONS = [
    ("insert", "Insert the result (resume first if still running)"),
    ("resume", "Resume waiting, then insert"),
    ("list", "Only list the recent jobs"),
]


@dataclass
class EditOptions:
    """What the edit procedure was asked for, after reading its config."""

    prompt: str = ""
    provider: str = DEFAULT
    model: str = ""
    quality: str = DEFAULT
    size: str = ""
    variations: int = 0
    output_format: str = DEFAULT
    background: str = DEFAULT
    source: str = "layer"
    #: context around the selection as a fraction of its longer side; < 0 = from settings
    padding: float = -1.0
    add_mask: bool = True
    #: give up waiting after this many seconds (the job stays resumable); 0 = from settings
    deadline: int = 0
    reference_ids: list[int] = field(default_factory=list)
    #: GPT Image 2.6's planning depth; "default" = from settings, else the model's own default
    complexity: str = DEFAULT
    #: the layer whose strokes are sent as the markup overlay; 0 = none
    markup_id: int = 0

    def settings_flags(self) -> dict:
        """The flags for `settings.resolve`: only what the user actually chose (None = not given)."""
        flags: dict = {
            "provider": None if self.provider in ("", DEFAULT) else self.provider,
            "model": self.model.strip() or None,
            "quality": None if self.quality in ("", DEFAULT) else self.quality,
            "complexity": None if self.complexity in ("", DEFAULT) else self.complexity,
            "size": self.size.strip() or None,
            "n": self.variations if self.variations > 0 else None,
            "output_format": None if self.output_format in ("", DEFAULT) else self.output_format,
            "background": None if self.background in ("", DEFAULT) else self.background,
            "padding": self.padding if self.padding >= 0 else None,
            "deadline": float(self.deadline) if self.deadline > 0 else None,
        }
        return {k: v for k, v in flags.items() if v is not None}


def read_edit_options(get) -> EditOptions:
    """Build options from a getter (`config.get_property` in GIMP, a dict's `get` in tests)."""
    refs = []
    for name in ("reference-1", "reference-2"):
        layer = get(name)
        if layer is not None:
            refs.append(layer.get_id() if hasattr(layer, "get_id") else int(layer))
    markup = get("markup-layer")
    return EditOptions(
        complexity=get("complexity") or DEFAULT,
        markup_id=(markup.get_id() if hasattr(markup, "get_id") else int(markup)) if markup else 0,
        prompt=(get("prompt") or "").strip(),
        provider=get("provider") or DEFAULT,
        model=get("model") or "",
        quality=get("quality") or DEFAULT,
        size=get("size") or "",
        variations=int(get("variations") or 0),
        output_format=get("output-format") or DEFAULT,
        background=get("background") or DEFAULT,
        source=get("source") or "layer",
        padding=float(get("padding") if get("padding") is not None else -1.0),
        add_mask=bool(get("add-mask") if get("add-mask") is not None else True),
        deadline=int(get("deadline") or 0),
        reference_ids=refs,
    )


def model_blurb() -> str:
    """Help text listing every current model id, so a script author sees the choices in the procedure
    browser (a shut-down model is refused with its replacement named)."""
    from gptedit.retirement import offered_ids

    parts = [f"{name}: {', '.join(offered_ids(name))}" for name in PROVIDERS]
    return "Model id; empty = the provider's default. " + "; ".join(parts)


def layer_name(prompt: str, n: int = 1) -> str:
    """The new layer's name: the prompt, on one line and short enough for the Layers dialog."""
    short = " ".join(prompt.split())
    short = short if len(short) <= 40 else short[:39] + "…"
    return f"GPT: {short}" + (f" ({n} variations)" if n > 1 else "")
