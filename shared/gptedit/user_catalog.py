"""`models.json` in the config folder: models a user adds or changes without waiting for a release.

    {
      "models": [
        {"provider": "openai", "id": "gpt-image-2.7-sunburst", "like": "gpt-image-2.6-sunburst",
         "label": "GPT Image 2.7 Sunburst", "shutdown": "2027-06-01",
         "replacement": "gpt-image-2.6-sunburst"},
        {"provider": "fal", "id": "openai/gpt-image-2.6/sunburst/edit", "like": "openai/gpt-image-2/edit",
         "qualities": ["low", "medium", "high", "xhigh", "max", "auto"],
         "complexities": ["low", "medium", "high"], "markup": true, "family": "gpt-image-2.6",
         "prices": {"text_in": 5, "image_in": 8, "image_out": 30}}
      ],
      "default_models": {"openai": "gpt-image-2.7-sunburst"}
    }

An entry whose provider and id are already in the catalog changes only the fields it names; a new entry
copies the entry named by `like` (same provider) or must give `sizes`. Every field is checked, and a
mistake is reported with the file, the entry and what to write instead — never a traceback. The file is
read by `apply()`, which `settings.resolve` calls, so the command line, Krita and GIMP see the same list.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from .catalog import BUILTIN, PROVIDERS, ModelInfo, ProviderInfo, Rates
from .errors import ConfigError
from .models import Background, Complexity, OutputFormat, Quality, Size
from .paths import config_path
from .sizes import FIXED, GPT_IMAGE_2, SizeRule

FILE_NAME = "models.json"
#: field name in the file → how it is read
FIELDS = (
    "provider",
    "id",
    "like",
    "label",
    "sizes",
    "qualities",
    "complexities",
    "backgrounds",
    "formats",
    "max_n",
    "max_inputs",
    "max_prompt",
    "mask",
    "markup",
    "stream",
    "mask_with_references",
    "family",
    "prices",
    "shutdown",
    "replacement",
)
FAMILIES = (
    "gpt-image-2.6",
    "gpt-image-2.5",
    "gpt-image-2",
    "gpt-image-1.5",
    "gpt-image-1",
    "gpt-image-1-mini",
)

_loaded: tuple[str, float, int] | None = None


def catalog_path() -> Path:
    """Next to the settings file (config.json), so it moves with it."""
    return config_path().with_name(FILE_NAME)


class _Problem(Exception):
    pass


def _choices(value: Any, kind, what: str) -> tuple:
    if not isinstance(value, list) or not value:
        raise _Problem(f"'{what}' must be a non-empty list, for example {[m.value for m in kind]}")
    out = []
    for v in value:
        try:
            out.append(kind(str(v).strip().lower()))
        except ValueError:
            raise _Problem(f"'{what}' has {v!r}; allowed: {', '.join(m.value for m in kind)}") from None
    return tuple(dict.fromkeys(out))


def _sizes(value: Any) -> SizeRule:
    if value == "custom":
        return GPT_IMAGE_2
    if value == "standard":
        return FIXED
    if isinstance(value, list) and value:
        sizes = []
        for v in value:
            try:
                parsed = Size.parse(str(v))
            except Exception:  # noqa: BLE001 - reworded below
                parsed = None
            if parsed is None:
                raise _Problem(f"'sizes' has {v!r}; write sizes like \"1024x1536\"")
            sizes.append(parsed)
        return SizeRule(fixed=tuple(sizes))
    raise _Problem(
        '\'sizes\' must be "custom" (any WxH within GPT Image 2\'s limits), "standard" '
        '(1024x1024, 1536x1024, 1024x1536) or a list like ["1024x1024", "1536x1024"]'
    )


def _int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _Problem(f"'{what}' must be a whole number from {low} to {high}, not {value!r}")
    return value


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise _Problem(f"'{what}' must be true or false, not {value!r}")
    return value


def _prices(value: Any) -> Rates:
    if not isinstance(value, dict) or set(value) != {"text_in", "image_in", "image_out"}:
        raise _Problem(
            '\'prices\' must be {"text_in": …, "image_in": …, "image_out": …} in US dollars per '
            "million tokens"
        )
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise _Problem(f"'prices.{k}' must be a number of dollars per million tokens, not {v!r}")
    return Rates(float(value["text_in"]), float(value["image_in"]), float(value["image_out"]))


def _entry(raw: Any, providers: dict[str, ProviderInfo]) -> ModelInfo:
    if not isinstance(raw, dict):
        raise _Problem("each model must be a JSON object")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise _Problem(f"unknown field(s) {', '.join(unknown)}; known fields: {', '.join(FIELDS)}")
    provider = raw.get("provider")
    if provider not in providers:
        raise _Problem(f"'provider' must be one of {', '.join(providers)}, not {provider!r}")
    mid = raw.get("id")
    if not isinstance(mid, str) or not mid.strip() or any(c.isspace() for c in mid):
        raise _Problem("'id' must be the provider's model name, without spaces")
    info = providers[provider]
    base = info.find(mid)
    if base is None and "like" in raw:
        base = info.find(str(raw["like"]))
        if base is None:
            raise _Problem(
                f"'like' names {raw['like']!r}, which {info.label} does not have; choose one of "
                f"{', '.join(info.model_ids())}"
            )
    if base is None and "sizes" not in raw:
        raise _Problem("a new model needs 'like' (a model to copy) or 'sizes'")
    fields: dict[str, Any] = {"provider": provider, "id": mid, "user_defined": True}
    if base is None:
        fields.update(label=mid, max_n=1, supports_mask=False, supports_stream=False)
    if "label" in raw:
        if not isinstance(raw["label"], str) or not raw["label"].strip():
            raise _Problem("'label' must be a non-empty text")
        fields["label"] = raw["label"].strip()
    elif base is not None and base.id != mid:
        fields["label"] = mid
    if "sizes" in raw:
        fields["sizes"] = _sizes(raw["sizes"])
    if "qualities" in raw:
        fields["qualities"] = _choices(raw["qualities"], Quality, "qualities")
    if "complexities" in raw:
        fields["complexities"] = (
            () if raw["complexities"] == [] else _choices(raw["complexities"], Complexity, "complexities")
        )
    if "backgrounds" in raw:
        fields["backgrounds"] = _choices(raw["backgrounds"], Background, "backgrounds")
    if "formats" in raw:
        fields["formats"] = _choices(raw["formats"], OutputFormat, "formats")
    if "max_n" in raw:
        fields["max_n"] = _int(raw["max_n"], "max_n", 1, 10)
    if "max_inputs" in raw:
        fields["max_inputs"] = _int(raw["max_inputs"], "max_inputs", 1, 16)
    if "max_prompt" in raw:
        fields["max_prompt"] = _int(raw["max_prompt"], "max_prompt", 1, 1_000_000)
    for key, attr in (
        ("mask", "supports_mask"),
        ("markup", "supports_markup"),
        ("stream", "supports_stream"),
        ("mask_with_references", "mask_with_references"),
    ):
        if key in raw:
            fields[attr] = _bool(raw[key], key)
    if "family" in raw:
        if raw["family"] not in FAMILIES:
            raise _Problem(
                f"'family' (the OpenAI model underneath, for prices) must be one of "
                f"{', '.join(FAMILIES)}, not {raw['family']!r}"
            )
        fields["family"] = raw["family"]
    if "prices" in raw:
        fields["rates"] = _prices(raw["prices"])
    if "shutdown" in raw:
        if raw["shutdown"] is None:
            fields.update(shutdown=None, replacement="")
        else:
            try:
                fields["shutdown"] = date.fromisoformat(str(raw["shutdown"]))
            except ValueError:
                raise _Problem(
                    f"'shutdown' must be a date like \"2027-01-31\", not {raw['shutdown']!r}"
                ) from None
    if "replacement" in raw:
        if not isinstance(raw["replacement"], str):
            raise _Problem("'replacement' must be a model id")
        fields["replacement"] = raw["replacement"]
    model = replace(base, **fields) if base is not None else ModelInfo(**fields)
    if (
        model.replacement
        and model.replacement != model.id
        and info.find(model.replacement) is None
        and model.replacement not in _new_ids
    ):
        raise _Problem(f"'replacement' names {model.replacement!r}, which {info.label} does not have")
    if not model.family:
        raise _Problem(
            f"'family' is needed for a new model so it can be priced; one of {', '.join(FAMILIES)}"
        )
    return model


_new_ids: set[str] = set()


def parse(
    data: Any, where: str = FILE_NAME, base: dict[str, ProviderInfo] | None = None
) -> dict[str, ProviderInfo]:
    """The catalog with the file's entries applied. Raises ConfigError naming the entry and the fix."""
    providers = dict(base or BUILTIN)
    if not isinstance(data, dict) or not set(data) <= {"models", "default_models"}:
        raise ConfigError(
            f'{where} must be a JSON object with "models" (a list) and optionally '
            '"default_models" ({"provider": "model id"}).'
        )
    entries = data.get("models", [])
    if not isinstance(entries, list):
        raise ConfigError(f'{where}: "models" must be a list of model objects.')
    _new_ids.clear()
    _new_ids.update(str(e.get("id")) for e in entries if isinstance(e, dict))
    for i, raw in enumerate(entries):
        label = f"model {i + 1}" + (f" ({raw.get('id')})" if isinstance(raw, dict) and raw.get("id") else "")
        try:
            model = _entry(raw, providers)
        except _Problem as exc:
            raise ConfigError(f"{where}, {label}: {exc}.") from None
        info = providers[model.provider]
        old = info.find(model.id)
        models = (
            tuple(model if m.id == model.id else m for m in info.models) if old else (model, *info.models)
        )
        providers[model.provider] = replace(info, models=models)
    defaults = data.get("default_models", {})
    if not isinstance(defaults, dict):
        raise ConfigError(f'{where}: "default_models" must map a provider to a model id.')
    for provider, mid in defaults.items():
        if provider not in providers or providers[provider].find(str(mid)) is None:
            raise ConfigError(
                f"{where}: default_models names {provider!r} → {mid!r}, which is not in the catalog."
            )
        providers[provider] = replace(providers[provider], default_model=str(mid))
    return providers


def apply(path: Path | None = None) -> dict[str, ProviderInfo]:
    """Load the user's models.json (when there is one) into `catalog.PROVIDERS`. Cheap when unchanged."""
    global _loaded
    path = path or catalog_path()
    try:
        st = path.stat()
    except OSError:
        st = None
    key = (str(path), st.st_mtime if st else 0.0, st.st_size if st else -1)
    if key == _loaded:
        return PROVIDERS
    if st is None:
        merged = dict(BUILTIN)
    else:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"The model catalog {path} cannot be read ({exc}). Fix or delete it.") from None
        merged = parse(data, str(path))
    PROVIDERS.clear()
    PROVIDERS.update(merged)
    _loaded = key
    return PROVIDERS


def reset() -> None:
    """Back to the built-in catalog (tests)."""
    global _loaded
    PROVIDERS.clear()
    PROVIDERS.update(BUILTIN)
    _loaded = None
