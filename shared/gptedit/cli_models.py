"""`python -m gptedit models`: the catalog as the front ends see it today — each current model with the
options it has and what one 1024x1024 image costs at each quality tier, the shut-down models with their
replacements, and (after `--refresh` with an OpenAI key) which models the key can use."""

from __future__ import annotations

import time

from . import model_access
from .catalog import PROVIDERS, ModelInfo
from .models import Background, Quality, Size
from .pricing import estimate
from .retirement import current_date, menu_label, offered_models
from .settings import resolve

SQUARE = Size(1024, 1024)


def _options(m: ModelInfo) -> str:
    parts = [f"quality {'|'.join(m.quality_choices())}"]
    if m.complexities:
        parts.append(f"complexity {'|'.join(m.complexity_choices())}")
    parts += [
        name
        for name, has in (
            ("mask", m.supports_mask),
            ("markup", m.supports_markup),
            ("streams", m.supports_stream),
        )
        if has
    ]
    parts.append(f"n≤{m.max_n}")
    parts.append(
        "sizes: any WxH (multiples of 16, ≤3840, ratio ≤3:1)"
        if m.sizes.custom
        else "sizes: " + ", ".join(str(s) for s in m.sizes.fixed)
    )
    if Background.TRANSPARENT in m.backgrounds:
        parts.append("transparent background")
    return " · ".join(parts)


def _prices(provider: str, m: ModelInfo) -> str:
    out = []
    for q in m.qualities:
        if q is Quality.AUTO:
            continue
        est = estimate(provider, m.id, SQUARE, q, 1)
        out.append(f"{q.value} {est.text()}")
    return "1024x1024, one image: " + " · ".join(out) if out else ""


def lines(
    provider_names: list[str], *, access: dict[str, model_access.Access | None] | None = None
) -> list[str]:
    today = current_date()
    out: list[str] = []
    for name in provider_names:
        info = PROVIDERS[name]
        out.append(
            f"{name} — default {info.default_model}"
            + (f": {info.default_reason}" if info.default_reason else "")
        )
        listed = (access or {}).get(name)
        for m in offered_models(name, today=today):
            note = ""
            if listed is not None and m.id not in listed.ids and not m.user_defined:
                note = "  [not in your key's model list]"
            elif m.user_defined:
                note = "  [from models.json]"
            out.append(f"  {menu_label(m, today=today)}  {m.label}{note}")
            out.append(f"      {_options(m)}")
            prices = _prices(name, m)
            if prices:
                out.append(f"      {prices}")
        gone = [m for m in info.models if m.retired_on(today)]
        if gone:
            out.append(
                "  shut down: "
                + ", ".join(f"{m.id} ({m.shutdown.isoformat()}, use {m.replacement})" for m in gone)
            )
    return out


def cmd_models(args) -> int:
    names = [args.provider] if args.provider and args.provider in PROVIDERS else list(PROVIDERS)
    access: dict[str, model_access.Access | None] = {}
    for name in names:
        if name not in model_access.PROVIDERS_WITH_LIST:
            continue
        settings = resolve({"provider": name})
        if args.refresh:
            got = model_access.refresh(settings)
            if got is not None:
                print(f"{name}: your key can use {len(got.ids)} models (list saved {time.strftime('%H:%M')})")
        access[name] = model_access.cached(settings)
    for line in lines(names, access=access):
        print(line)
    return 0
