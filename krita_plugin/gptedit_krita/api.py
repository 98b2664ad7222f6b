"""The scriptable API (Tools ▸ Scripts ▸ Scripter, or another plugin). The docker uses the same path.

    from gptedit_krita.api import edit
    job = edit("make the sky stormy [identity]", quality="low")   # active document, layer, selection
    job.wait(120)            # Krita stays responsive while waiting
    print(job.state, job.message, job.layer.name() if job.layer else None)

Options: provider, model, quality (low … max, as the model has them), complexity (GPT Image 2.6: low,
medium, high), size ("auto" or "WxH"), n (variations), output_format, background, padding, max_send_side,
source ("layer" = the active layer, "visible" = the composited image), references (True: send the other
visible layers as reference images), markup (a paint layer — node, unique id or name — whose strokes show
the model where and what to change; sent as the markup overlay, left as drawn), insert (False: fetch only).
Anything not given comes from the environment, then the shared config file, then the defaults.
"""

from __future__ import annotations

from gptedit import recipe
from gptedit import settings as settings_mod
from gptedit.errors import BadInput
from gptedit.model_options import check_settings_choices

from .canvas_read import paint_target, read_snapshot
from .session import JOBS, KritaJob

#: options that go to settings.resolve (the settings a single edit may choose); the rest are read here
SETTING_KEYS = tuple(f.name for f in settings_mod.FIELDS if f.per_edit)


def resolve_settings(options: dict) -> settings_mod.Settings:
    flags = {k: options[k] for k in SETTING_KEYS if options.get(k) not in (None, "")}
    return settings_mod.resolve(flags)


def edit(prompt: str, document=None, layer=None, **options) -> KritaJob:
    """Start an edit and return at once; the result is inserted as a new layer when it arrives.

    Raises `gptedit.errors.GptEditError` (with a message for people) when nothing can be sent: no
    document, an empty prompt or layer, an unknown option value."""
    from krita import Krita

    unknown = set(options) - set(SETTING_KEYS) - {"source", "references", "insert", "incremental", "markup"}
    if unknown:
        raise BadInput(f"Unknown option(s): {', '.join(sorted(unknown))}.")
    prompt = recipe.clean_prompt(prompt)
    doc = document or Krita.instance().activeDocument()
    if doc is None:
        raise BadInput("No document is open. Open or create an image first.")
    settings = resolve_settings(options)
    markup = options.get("markup") or None
    # what the model lacks is refused before a pixel is read (a retired model names its replacement)
    check_settings_choices(
        settings.protocol,
        settings.model,
        quality=settings.quality,
        complexity=settings.complexity if settings.sources.get("complexity") == "flag" else None,
        markup=markup is not None,
    )
    node = layer or paint_target(doc)
    snapshot = read_snapshot(
        doc,
        settings,
        source=options.get("source") or "layer",
        node=node,
        references=bool(options.get("references")),
        markup=markup,
    )
    job = KritaJob(
        doc,
        snapshot,
        settings,
        prompt,
        above=node,
        insert=options.get("insert", True),
        incremental=options.get("incremental", True),
    )
    return job.start()


def jobs() -> list[KritaJob]:
    """Every job started in this Krita session, oldest first."""
    return list(JOBS)
