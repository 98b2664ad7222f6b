"""The money line under the Edit button: what the edit will cost before the click (pricing tables per
model, size and quality) and what it did cost after (the provider's usage or reported cost)."""

from __future__ import annotations

from gptedit.errors import GptEditError
from gptedit.geometry import plan_edit
from gptedit.models import Size

from .canvas_read import selection_box


def estimate_for_doc(doc, options: dict, prompt_chars: int = 0):
    """A CostEstimate for the docker's options on this document's selection, or None."""
    from gptedit import pricing
    from gptedit.catalog import model_info

    from .api import resolve_settings

    settings = resolve_settings({k: v for k, v in options.items() if k in ("provider", "model", "quality",
                                                                           "size", "n")})
    info = model_info(settings.protocol, settings.model)
    size = Size.parse(settings.size) if settings.size else None
    inputs: list[Size] = []
    if doc is not None:
        plan = plan_edit(doc.width(), doc.height(), selection_box(doc), info.sizes, size=settings.size,
                         padding=settings.padding, max_send_side=settings.max_send_side)
        size = plan.request_size or plan.suggested_size
        inputs = [plan.send_size]
    return pricing.estimate(settings.protocol, settings.model, size, settings.quality, settings.n,
                            input_images=inputs, prompt_chars=prompt_chars)


def docker_text(doc, options: dict, prompt_chars: int = 0) -> str:
    try:
        est = estimate_for_doc(doc, options, prompt_chars)
    except (GptEditError, ImportError, ValueError, TypeError):
        return "Estimated cost: unknown"
    if est is None:
        return "Estimated cost: unknown"
    return f"Estimated cost: {est.text()}"
