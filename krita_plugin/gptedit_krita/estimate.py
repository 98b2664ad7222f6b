"""The money line under the Edit button: what the edit will cost before the click (pricing tables per
model, size and quality) and what it did cost after (the provider's usage or reported cost)."""

from __future__ import annotations

from gptedit import recipe
from gptedit.errors import GptEditError

from .canvas_read import selection_box


def estimate_for_doc(doc, options: dict, prompt_chars: int = 0):
    """A CostEstimate for the docker's options on this document's selection (the recipe's quote)."""
    from .api import resolve_settings

    settings = resolve_settings(
        {k: v for k, v in options.items() if k in ("provider", "model", "quality", "size", "n")}
    )
    plan = None
    if doc is not None:
        plan = recipe.plan_for(settings, doc.width(), doc.height(), selection_box(doc))
    # the chosen tier is priced as chosen; a markup layer is one more picture sent
    return recipe.quote(settings, plan, prompt_chars, markup=bool(options.get("markup")))


def docker_text(doc, options: dict, prompt_chars: int = 0) -> str:
    try:
        est = estimate_for_doc(doc, options, prompt_chars)
    except (GptEditError, ImportError, ValueError, TypeError):
        return "Estimated cost: unknown"
    if est is None:
        return "Estimated cost: unknown"
    return f"Estimated cost: {est.text()}"
