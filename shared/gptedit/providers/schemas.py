"""Live input schemas: what a model's provider publishes about its inputs, read before anything is paid.

each::labs publishes each model's `request_schema` (https://docs.eachlabs.ai/api/models/get-model;
its skills say "Only pass parameters that appear in the live schema") and Replicate each model version's
OpenAPI schema (`latest_version.openapi_schema`, https://replicate.com/docs/reference/http#models.get).
Both requests are free. A schema is kept in the data folder for a day; when it cannot be fetched the
provider's built-in knowledge is used, as before schemas were read.

A `LiveSchema` answers three questions: which of two documented field names the model takes (`pick`),
what it uses when a field is left out (`default`), and whether a value is one the schema lists
(`check`, which raises `Unsupported` with the allowed values before anything is uploaded or created)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import GptEditError, Unsupported

log = logging.getLogger(__name__)

#: how long a fetched schema is trusted
CACHE_TTL_S = 86_400.0
#: a schema is optional: one quick try (and one more on a network hiccup), never minutes of retries before
#: the edit itself
FETCH_TIMEOUT_S = 20.0
FETCH_ATTEMPTS = 2


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str | None = None
    enum: tuple[Any, ...] | None = None
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    max_items: int | None = None


@dataclass(frozen=True)
class LiveSchema:
    #: for messages: "each::labs gpt-image-v2-edit"
    where: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    required: frozenset[str] = frozenset()

    def has(self, name: str) -> bool:
        return name in self.fields

    def pick(self, *names: str) -> str | None:
        """The first of `names` the schema lists."""
        return next((n for n in names if n in self.fields), None)

    def default(self, name: str) -> Any:
        spec = self.fields.get(name)
        return spec.default if spec else None

    def allows(self, name: str, value: Any) -> bool:
        spec = self.fields.get(name)
        return spec is None or spec.enum is None or value in spec.enum

    def check(self, inputs: Mapping[str, Any]) -> None:
        """Refuse any value the schema does not list, with the values it does."""
        for name, value in inputs.items():
            spec = self.fields.get(name)
            if spec is None:
                continue
            if spec.enum is not None and value not in spec.enum:
                choices = ", ".join(str(v) for v in spec.enum)
                raise Unsupported(
                    f"{self.where} does not take {name} {value!r}; its published schema lists "
                    f"{choices}. Nothing was sent or charged."
                )
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if spec.maximum is not None and value > spec.maximum:
                    raise Unsupported(
                        f"{self.where} takes {name} up to {spec.maximum:g}, not {value}, per its "
                        "published schema. Nothing was sent or charged."
                    )
                if spec.minimum is not None and value < spec.minimum:
                    raise Unsupported(
                        f"{self.where} takes {name} from {spec.minimum:g}, not {value}, per its "
                        "published schema. Nothing was sent or charged."
                    )
            if isinstance(value, list) and spec.max_items is not None and len(value) > spec.max_items:
                raise Unsupported(
                    f"{self.where} takes at most {spec.max_items} {name} per its published schema, "
                    f"not {len(value)}. Nothing was sent or charged."
                )


# --- reading the two published forms -------------------------------------------------------------------


def _resolve(node: Any, root: Mapping) -> Any:
    """Follow `$ref` ("#/components/schemas/x") and single-item `allOf`, as Replicate writes enums."""
    for _ in range(8):
        if not isinstance(node, Mapping):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = root
            for part in ref[2:].split("/"):
                target = target.get(part) if isinstance(target, Mapping) else None
            rest = {k: v for k, v in node.items() if k != "$ref"}
            node = {**(target if isinstance(target, Mapping) else {}), **rest}
            continue
        all_of = node.get("allOf")
        if isinstance(all_of, list) and all_of:
            merged: dict[str, Any] = {}
            for part in all_of:
                part = _resolve(part, root)
                if isinstance(part, Mapping):
                    merged.update(part)
            merged.update({k: v for k, v in node.items() if k != "allOf"})
            node = merged
            continue
        return node
    return node


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _field(name: str, node: Any, root: Mapping) -> FieldSpec:
    node = _resolve(node, root)
    if not isinstance(node, Mapping):
        return FieldSpec(name)
    enum = node.get("enum")
    items = node.get("maxItems", node.get("max_items"))
    return FieldSpec(
        name=name,
        type=node.get("type") if isinstance(node.get("type"), str) else None,
        enum=tuple(enum) if isinstance(enum, list) and enum else None,
        default=node.get("default"),
        minimum=_number(node.get("minimum")),
        maximum=_number(node.get("maximum")),
        max_items=int(items) if isinstance(items, int) and not isinstance(items, bool) else None,
    )


def from_json_schema(where: str, schema: Any, root: Mapping | None = None) -> LiveSchema | None:
    """A JSON Schema object (`{"type": "object", "properties": …, "required": […]}`), or the older flat
    form each::labs used (`{"field": {"type": …, "required": true, …}}`)."""
    if not isinstance(schema, Mapping):
        return None
    root = root if root is not None else schema
    props = schema.get("properties")
    if isinstance(props, Mapping):
        required = schema.get("required")
        names = (
            frozenset(r for r in required if isinstance(r, str))
            if isinstance(required, list)
            else frozenset()
        )
        return LiveSchema(where, {str(k): _field(str(k), v, root) for k, v in props.items()}, names)
    flat = {str(k): v for k, v in schema.items() if isinstance(v, Mapping)}
    if not flat:
        return None
    required = frozenset(k for k, v in flat.items() if v.get("required") is True)
    return LiveSchema(where, {k: _field(k, v, root) for k, v in flat.items()}, required)


def from_replicate_model(where: str, model: Any) -> LiveSchema | None:
    """`GET /v1/models/{owner}/{name}` → the latest version's `Input` schema."""
    if not isinstance(model, Mapping):
        return None
    version = model.get("latest_version")
    oas = version.get("openapi_schema") if isinstance(version, Mapping) else None
    schemas = oas.get("components", {}).get("schemas") if isinstance(oas, Mapping) else None
    if not isinstance(schemas, Mapping):
        return None
    return from_json_schema(where, schemas.get("Input"), oas)


# --- the day-long cache --------------------------------------------------------------------------------


class SchemaCache:
    """Schemas as fetched, one JSON file per provider, base URL and model under `<data>/schemas/`."""

    def __init__(
        self, folder: Path | None = None, ttl: float = CACHE_TTL_S, clock: Callable[[], float] = time.time
    ):
        self._folder = folder
        self.ttl = ttl
        self._clock = clock

    @property
    def folder(self) -> Path:
        if self._folder is None:
            from ..paths import data_dir

            self._folder = data_dir() / "schemas"
        return self._folder

    def _path(self, provider: str, base_url: str, model: str) -> Path:
        digest = hashlib.sha256(f"{base_url}\n{model}".encode()).hexdigest()[:16]
        return self.folder / f"{provider}-{digest}.json"

    def get(self, provider: str, base_url: str, model: str, fetch: Callable[[], Any]) -> Any:
        """The published body: from the cache when younger than the TTL, else fetched (and kept). When
        fetching fails, an older copy if there is one, else None (the caller's built-in knowledge)."""
        path = self._path(provider, base_url, model)
        stale = None
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(saved, dict) and "body" in saved:
                if self._clock() - float(saved.get("fetched_at", 0)) < self.ttl:
                    return saved["body"]
                stale = saved["body"]
        except (OSError, ValueError, TypeError):
            pass
        try:
            body = fetch()
        except GptEditError as exc:
            log.info(
                "no live schema for %s %s (%s); using %s",
                provider,
                model,
                exc,
                "the copy from before" if stale is not None else "built-in knowledge",
            )
            return stale
        if body is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_text(
                    json.dumps(
                        {"fetched_at": self._clock(), "model": model, "base_url": base_url, "body": body}
                    ),
                    encoding="utf-8",
                )
                os.replace(tmp, path)
            except OSError as exc:  # a read-only data folder costs a fetch per edit, nothing more
                log.info("could not keep the schema for %s %s: %s", provider, model, exc)
        return body
