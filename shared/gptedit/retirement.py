"""Models their providers have shut down: not offered, and refused by name before anything is sent.

Every way a model reaches a request — a saved setting, a command-line flag, a script or procedure
argument, a batch, a job resumed from the ledger — goes through `catalog.model_info`, which calls
`check_not_retired`: the user reads "gpt-image-1.5 was retired by OpenAI on 2026-12-01; use
gpt-image-2.6-sunburst" instead of the provider's "model does not exist".

The date is the user's UTC date. `GPTEDIT_TODAY` (YYYY-MM-DD) replaces it: tests, including the ones that
drive real Krita and GIMP, use it to see the day after a shutdown without waiting for it.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone

from .catalog import PROVIDERS, ModelInfo, provider_info
from .errors import ConfigError, ModelRetired

TODAY_ENV = "GPTEDIT_TODAY"


def current_date() -> date:
    """Today in UTC, or the date in `GPTEDIT_TODAY`."""
    forced = os.environ.get(TODAY_ENV, "").strip()
    if forced:
        try:
            return date.fromisoformat(forced)
        except ValueError:
            raise ConfigError(f"{TODAY_ENV}={forced!r} is not a date like 2026-12-01.") from None
    # UTC, so a shutdown starts at the same moment for everyone, whatever their time zone
    return datetime.now(timezone.utc).date()


def retired_message(model: ModelInfo) -> str:
    provider = PROVIDERS[model.provider].label if model.provider in PROVIDERS else model.provider
    text = f"{model.id} was retired by {provider} on {model.shutdown.isoformat()}"
    if model.replacement:
        text += f"; use {model.replacement}"
    return text + "."


def check_not_retired(model: ModelInfo, *, today: date | None = None) -> None:
    when = today or current_date()
    if model.retired_on(when):
        raise ModelRetired(retired_message(model), model=model.id, replacement=model.replacement)


def offered_models(provider: str, *, today: date | None = None) -> list[ModelInfo]:
    """The models a menu may offer today, in catalog order."""
    when = today or current_date()
    return [m for m in provider_info(provider).models if not m.retired_on(when)]


def offered_ids(provider: str, *, today: date | None = None) -> list[str]:
    return [m.id for m in offered_models(provider, today=today)]


def retiring_soon(model: ModelInfo, *, today: date | None = None, days: int = 31) -> bool:
    """Still usable, but shut down within `days`: worth a word next to the name in a menu."""
    when = today or current_date()
    return model.shutdown is not None and not model.retired_on(when) and (model.shutdown - when).days <= days


def menu_label(model: ModelInfo, *, today: date | None = None) -> str:
    """The model id, with the shutdown date when one is near."""
    if retiring_soon(model, today=today):
        return f"{model.id} (retires {model.shutdown.isoformat()})"
    return model.id
