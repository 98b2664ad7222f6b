"""Provider modules by name: the one place that knows which class speaks which API."""

from __future__ import annotations

from ..errors import ConfigError
from .base import Provider, ProviderConfig
from .eachlabs import EachLabsProvider
from .fal import FalProvider
from .openai import OpenAIProvider
from .openai_responses import OpenAIResponsesProvider
from .replicate import ReplicateProvider

PROVIDER_CLASSES: dict[str, type[Provider]] = {
    cls.name: cls
    for cls in (EachLabsProvider, OpenAIProvider, OpenAIResponsesProvider, ReplicateProvider, FalProvider)
}


def make_provider(name: str, config: ProviderConfig, **options) -> Provider:
    """The provider for `name`. Options are provider-specific: OpenAI `stream`, `partial_images`,
    `read_timeout`; OpenAI Responses `mainline_model`, `metadata`; Replicate `wait`; all accept `retry`
    (a `RetryPolicy`) and `transport`."""
    try:
        cls = PROVIDER_CLASSES[name]
    except KeyError:
        raise ConfigError(
            f"Unknown provider {name!r}; choose one of {', '.join(PROVIDER_CLASSES)}."
        ) from None
    return cls(config, **options)
