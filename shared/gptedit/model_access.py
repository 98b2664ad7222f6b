"""Which catalog models an OpenAI key can use, from OpenAI's model list (`GET /v1/models`), cached.

New GPT Image models often reach an organisation later than the announcement (some need verification),
so a menu offering every catalog model would let users pick one that fails with "model not found". With a
key, `refresh` asks OpenAI once and keeps the answer in the data folder (`model_access.json`, keyed by base
URL; the key itself is never written); `usable_models` then offers only the catalog models the list
contains. Without a cached list (no key yet, another provider, or the list could not be read) every
current catalog model is offered, as before. `refresh` talks to the network: front ends call it on a
worker thread, never on the GUI thread.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .catalog import ModelInfo
from .errors import BadResponse
from .paths import data_dir
from .retirement import offered_models
from .settings import Settings, require_key

CACHE_FILE = "model_access.json"
#: a list older than this is still used, but front ends may refresh it in the background
STALE_AFTER_S = 7 * 86_400
#: only OpenAI publishes a per-key model list for these models (both of its routes use the same key)
PROVIDERS_WITH_LIST = ("openai", "openai-responses")


@dataclass(frozen=True)
class Access:
    provider: str
    base_url: str
    ids: frozenset[str]
    fetched_at: float

    @property
    def stale(self) -> bool:
        return time.time() - self.fetched_at > STALE_AFTER_S


def cache_path() -> Path:
    return data_dir() / CACHE_FILE


def _read_cache() -> dict:
    try:
        data = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a missing or damaged cache only means "not checked yet"
    return data if isinstance(data, dict) else {}


def _write_cache(data: dict) -> None:
    path = cache_path()
    fd, tmp = tempfile.mkstemp(prefix=".model-access-", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _key(provider: str, base_url: str) -> str:
    from .settings import SHARES_ACCOUNT

    return f"{SHARES_ACCOUNT.get(provider, provider)} {base_url.rstrip('/')}"


def cached(settings: Settings) -> Access | None:
    if settings.protocol not in PROVIDERS_WITH_LIST:
        return None
    entry = _read_cache().get(_key(settings.protocol, settings.base_url))
    if not isinstance(entry, Mapping) or not isinstance(entry.get("ids"), list):
        return None
    ids = frozenset(str(i) for i in entry["ids"])
    return Access(settings.protocol, settings.base_url, ids, float(entry.get("fetched_at") or 0))


def parse_model_list(body: object) -> frozenset[str]:
    """`{"object": "list", "data": [{"id": …}, …]}` → the ids."""
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        raise BadResponse("OpenAI's model list did not hold a `data` list.")
    return frozenset(m["id"] for m in body["data"] if isinstance(m, Mapping) and isinstance(m.get("id"), str))


def refresh(settings: Settings, *, provider=None) -> Access | None:
    """Ask the provider which models the key can use and cache the answer. Network: worker thread only.
    None for providers without a model list."""
    if settings.protocol not in PROVIDERS_WITH_LIST:
        return None
    require_key(settings)
    if provider is None:
        from .engine import provider_for  # late: engine imports much of the core

        provider = provider_for(settings)
    resp = provider.transport.request_json("GET", "/models", idempotent=True)
    ids = parse_model_list(resp.body)
    data = _read_cache()
    now = time.time()
    data[_key(settings.protocol, settings.base_url)] = {"ids": sorted(ids), "fetched_at": now}
    _write_cache(data)
    return Access(settings.protocol, settings.base_url, ids, now)


def usable_models(settings: Settings, *, today: date | None = None) -> list[ModelInfo]:
    """The current catalog models to offer: those the cached list names, or all of them when there is no
    list. Entries from the user's models.json are always offered (the user added them on purpose)."""
    models = offered_models(settings.protocol, today=today)
    access = cached(settings)
    if access is None:
        return models
    return [m for m in models if m.id in access.ids or m.user_defined]


def access_note(settings: Settings, model: str) -> str:
    """A sentence for a model the cached list does not name, or "" when it is fine or unknown."""
    access = cached(settings)
    if access is None or model in access.ids:
        return ""
    checked = time.strftime("%Y-%m-%d", time.localtime(access.fetched_at))
    return (
        f"Your {settings.protocol} key's model list (checked {checked}) does not include {model}; "
        "the provider may refuse it."
    )
