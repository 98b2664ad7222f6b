"""The options that follow the model: quality tier, complexity and markup. One home for their refusals, so
the command line, a Krita script, a GIMP procedure call and the providers' own checks say the same words,
and a front end can check a choice before it reads a single pixel."""

from __future__ import annotations

from .catalog import PROVIDERS, ModelInfo, model_info
from .errors import Unsupported
from .models import Complexity, Quality


def models_with(flag: str) -> str:
    """Current models with a capability, for "use a model that takes one (…)" hints."""
    from .retirement import offered_models  # late: retirement imports the catalog

    names = [
        f"{p.label} {m.id}" for p in PROVIDERS.values() for m in offered_models(p.name) if getattr(m, flag)
    ]
    return ", ".join(names) or "none at the moment"


def check_choices(
    model: ModelInfo,
    where: str,
    *,
    quality: Quality | None = None,
    complexity: Complexity | None = None,
    markup: bool = False,
) -> None:
    """Raise Unsupported, naming what the model has instead, for a choice it lacks."""
    if quality is not None and quality not in model.qualities:
        raise Unsupported(
            f"{where} has no quality {quality.value!r}; choose {', '.join(model.quality_choices())}."
        )
    if complexity is not None and complexity not in model.complexities:
        if not model.complexities:
            raise Unsupported(
                f"{where} has no complexity setting (GPT Image 2.6 models have one); leave it unset."
            )
        raise Unsupported(
            f"{where} has no complexity {complexity.value!r}; choose {', '.join(model.complexity_choices())}."
        )
    if markup and not model.supports_markup:
        raise Unsupported(
            f"{where} cannot take a markup layer, so your strokes would be ignored. Edit without "
            f"markup, or use a model that takes it ({models_with('supports_markup')})."
        )


def check_settings_choices(
    provider: str,
    model: str,
    *,
    quality: Quality | None = None,
    complexity: Complexity | None = None,
    markup: bool = False,
) -> ModelInfo:
    """`check_choices` for a provider and model id (a retired or unknown model is refused first)."""
    info = model_info(provider, model)
    check_choices(
        info, f"{PROVIDERS[provider].label} {info.id}", quality=quality, complexity=complexity, markup=markup
    )
    return info


def effective_complexity(settings, model: ModelInfo) -> Complexity | None:
    """The complexity to send: the settings' choice, except that a saved preference (config file,
    environment) is left out for a model without the setting; a flag or argument is kept, so the request
    check names the problem."""
    if settings.complexity is None:
        return None
    if model.complexities or settings.sources.get("complexity") == "flag":
        return settings.complexity
    return None
