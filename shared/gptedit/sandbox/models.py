"""The GPT Image models the imitated services know, and when each stops existing.

Written independently of the client's catalog (so the sandbox checks the client instead of agreeing with
it by construction): what OpenAI's model pages and deprecations page say, late November 2026. A shut-down
model is answered the way OpenAI answers a model that no longer exists, so tests prove the client's own
refusal comes first. The sandbox's date is the `today` switch (YYYY-MM-DD), else the real UTC date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

TIERS = ("low", "medium", "high", "auto")
TIERS_PLUS = ("low", "medium", "high", "xhigh", "max", "auto")


@dataclass(frozen=True)
class OpenAIModel:
    #: the model whose size rules and token counts apply
    family: str
    qualities: tuple[str, ...] = TIERS
    complexity: bool = False
    markup: bool = False
    shutdown: date | None = None


_15 = date(2026, 12, 1)
OPENAI_MODELS: dict[str, OpenAIModel] = {
    "gpt-image-2.6-flare": OpenAIModel("gpt-image-2.6", TIERS_PLUS, complexity=True, markup=True),
    "gpt-image-2.6-sunburst": OpenAIModel("gpt-image-2.6", TIERS_PLUS, complexity=True, markup=True),
    "gpt-image-2.5-flare": OpenAIModel("gpt-image-2.5", TIERS_PLUS),
    "gpt-image-2.5-sunburst": OpenAIModel("gpt-image-2.5", TIERS_PLUS),
    "gpt-image-2.5-flare-2026-09-08": OpenAIModel("gpt-image-2.5", TIERS_PLUS),
    "gpt-image-2.5-sunburst-2026-09-08": OpenAIModel("gpt-image-2.5", TIERS_PLUS),
    "gpt-image-2": OpenAIModel("gpt-image-2"),
    "gpt-image-2-2026-04-21": OpenAIModel("gpt-image-2"),
    "gpt-image-1.5": OpenAIModel("gpt-image-1.5", shutdown=_15),
    "gpt-image-1-mini": OpenAIModel("gpt-image-1-mini", shutdown=_15),
    "chatgpt-image-latest": OpenAIModel("gpt-image-1.5", shutdown=_15),
    "gpt-image-1": OpenAIModel("gpt-image-1", shutdown=date(2026, 10, 23)),
    "dall-e-2": OpenAIModel("dall-e-2", ("standard", "auto"), shutdown=date(2026, 5, 12)),
}
#: the other services' names for models that wrap a shut-down OpenAI model stop with it
WRAPPED_SHUTDOWNS: dict[str, date] = {
    "openai/gpt-image-1.5": _15,
    "openai/gpt-image-1-mini": _15,
    "openai/gpt-image-1": date(2026, 10, 23),
    "gpt-image-v1-5-edit": _15,
    "fal-ai/gpt-image-1.5/edit": _15,
    "fal-ai/gpt-image-1/edit-image": date(2026, 10, 23),
}


def today(config: dict[str, Any]) -> date:
    forced = config.get("today")
    return date.fromisoformat(forced) if forced else datetime.now(timezone.utc).date()


def shut_down(model: str, config: dict[str, Any]) -> bool:
    """Has the service stopped serving `model` (an OpenAI id or another service's name for it)?"""
    info = OPENAI_MODELS.get(model)
    when = info.shutdown if info is not None else WRAPPED_SHUTDOWNS.get(model)
    return when is not None and today(config) >= when
