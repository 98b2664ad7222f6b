"""One module per provider API behind the `Provider` interface; `make_provider` picks one by name."""

from .base import Provider, ProviderConfig, SubmitListener
from .registry import PROVIDER_CLASSES, make_provider

__all__ = ["PROVIDER_CLASSES", "Provider", "ProviderConfig", "SubmitListener", "make_provider"]
