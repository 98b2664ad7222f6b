"""The sandbox's behaviour switches (`Sandbox.configure`, `POST /_sandbox/config`).

Unknown keys and values are refused loudly: a test that misspells a switch must fail, not silently run
against the default behaviour."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

PROVIDERS = ("eachlabs", "openai", "openai-responses", "replicate", "fal")

OUTCOMES = ("success", "error", "moderation", "cancelled-remotely")
EDITS = ("identity", "invert", "tint")
#: the phases the `hold` switch can keep a job in (state.RUNNING_PHASES, in order)
HOLD_PHASES = ("queued", "starting", "processing")
EACHLABS_SCHEMAS = ("image_urls", "image_url")
REPLICATE_SCHEMAS = ("2026-08", "2026-11")

#: output shapes each provider can be switched between (fal and OpenAI have one shape only)
OUTPUT_SHAPES: dict[str, tuple[str, ...]] = {
    # gpt-image-v2-edit: the skill says "array of image URLs", the docs example a bare string, other models an
    # object — docs/providers.md "each::labs: polling" leaves it UNCONFIRMED, so clients must take all four
    "eachlabs": ("array", "string", "object", "object_list"),
    "replicate": ("list", "string"),
    "fal": ("images",),
    "openai": ("b64",),
}

DEFAULTS: dict[str, Any] = {
    # seconds from create to a terminal status (OpenAI: how long the synchronous request takes)
    "latency": 0.3,
    # fractions of `latency` spent queued and starting; the rest is processing. Each provider names the
    # phases in its own words (each::labs created/starting/processing, Replicate starting/processing,
    # fal IN_QUEUE/IN_PROGRESS)
    "walk": {"queued": 0.2, "starting": 0.2},
    "outcome": "success",
    "output_shape": {"eachlabs": "array", "replicate": "list", "fal": "images", "openai": "b64"},
    "edit": "tint",
    # best-effort cancel: true = a cancel before the end really stops the job
    "cancel_wins": True,
    # a running phase ("queued", "starting" or "processing") = no job gets past it, however long ago its
    # latency ran out (a synchronous request waits) until this is set to a later phase or null, when the
    # next look finds the job where its clock says. Tests step through the states and watch the clients
    # wait this way, counted in events instead of depending on the machine's speed
    "hold": None,
    "replicate_data_removed_after": 3600.0,
    # seconds after which output download URLs stop working; None = never
    "output_url_ttl": None,
    # how long the `slow` fault delays an answer unless the fault says `seconds`
    "slow_seconds": 30.0,
    # each::labs low-balance concurrency cap (429 beyond it)
    "max_inflight": 10,
    # predictions per page of Replicate's `GET /v1/predictions` (100 on the real service); small values
    # let tests walk the `next` cursor
    "list_page_size": 100,
    # each::labs presigned PUT URLs are valid 15 minutes (storage/upload-file.mdx)
    "presign_ttl": 900.0,
    # gpt-image-2 + background=transparent: docs said "will return an error" until 2026-08-21, then
    # "support is in preview" (openai-python bedb9a7b) — "allow" or "error"
    "gpt_image_2_transparent": "allow",
    # what a cancelled fal request reports; fal's docs never name it (UNCONFIRMED):
    # "COMPLETED" (with error set) or "CANCELLED"
    "fal_cancelled_status": "COMPLETED",
    # the largest file (decoded bytes) Replicate and fal take inline as a data: URL; a bigger one is refused
    # with 413 the way their front ends refuse big bodies. Replicate's docs recommend data URLs only below
    # 1 MB (https://replicate.com/docs/topics/predictions/input-files); fal names no limit and recommends
    # its CDN (https://docs.fal.ai/documentation/model-apis/fal-cdn), so the same bound stands in. None = any
    "inline_limit": 1_000_000,
    # how the fal endpoint reads `mask_url`: fal's page does not say. "alpha" is OpenAI's convention
    # (alpha 0 = edit), "brightness" the one two services wrapping the endpoint document (white = edit)
    "fal_mask_reading": "alpha",
    # which documented input schema each::labs' `GET /v1/model` publishes (and the create then enforces):
    # "image_urls" (a list, each::labs' workflow examples) or "image_url" (one URL, its v2 skill)
    "eachlabs_schema": "image_urls",
    # Replicate's gpt-image-2 OpenAPI schema: "2026-08" (aspect_ratio 1:1 | 3:2 | 2:3, one image) or
    # "2026-11" (also 16:9, 9:16, auto and pixel sizes; number_of_images 1-10), per mirrors of the schema
    "replicate_schema": "2026-08",
    # answers drift like real ones (drift.py): null = off, true = strength 1 seed 0, or
    # {"strength": 0..3, "seed": n}; a `[drift:…]` prompt tag wins for its job
    "drift": None,
    # the sandbox's date (YYYY-MM-DD) for model shutdowns; None = the real UTC date
    "today": None,
    # how the Responses API reports a picture its safety system refused; its docs show both shapes
    # (UNCONFIRMED which one an image refusal takes): "call" = the response completes and its
    # image_generation_call fails with error.code moderation_blocked; "response" = the response fails
    # with error.code image_content_policy_violation
    "responses_moderation": "call",
    # the size of every answer: "requested" (what the request asked for, as a real service answers) or
    # "input" (the first input's size, whatever was asked). Real-host tests use "input" to check the plugins'
    # placement pixel for pixel; the resampling of a fixed-size answer is the conformance suite's business
    "answer_size": "requested",
}


class ConfigProblem(ValueError):
    pass


def _number(key: str, value: Any, minimum: float = 0.0, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise ConfigProblem(f"{key} must be a number >= {minimum}, not {value!r}")
    return float(value)


def _choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigProblem(f"{key} must be one of {', '.join(choices)}, not {value!r}")
    return value


def merge(current: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """Return `current` with `options` merged in, after checking every key and value."""
    cfg = copy.deepcopy(current)
    for key, value in options.items():
        if key not in DEFAULTS:
            raise ConfigProblem(f"unknown sandbox option {key!r}; known: {', '.join(sorted(DEFAULTS))}")
        if key in ("latency", "replicate_data_removed_after", "slow_seconds", "presign_ttl"):
            cfg[key] = _number(key, value)
        elif key == "output_url_ttl":
            cfg[key] = _number(key, value, allow_none=True)
        elif key in ("max_inflight", "list_page_size"):
            least = 1 if key == "list_page_size" else 0
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ConfigProblem(f"{key} must be a whole number >= {least}, not {value!r}")
            cfg[key] = value
        elif key == "walk":
            if not isinstance(value, dict) or set(value) - {"queued", "starting"}:
                raise ConfigProblem("walk must be an object with 'queued' and/or 'starting' fractions")
            walk = dict(cfg["walk"])
            walk.update({k: _number(f"walk.{k}", v) for k, v in value.items()})
            if walk["queued"] + walk["starting"] > 1:
                raise ConfigProblem("walk fractions 'queued' + 'starting' must not exceed 1")
            cfg[key] = walk
        elif key == "hold":
            cfg[key] = None if value is None else _choice(key, value, HOLD_PHASES)
        elif key == "outcome":
            cfg[key] = _choice(key, value, OUTCOMES)
        elif key == "edit":
            cfg[key] = _choice(key, value, EDITS)
        elif key == "cancel_wins":
            if not isinstance(value, bool):
                raise ConfigProblem(f"cancel_wins must be true or false, not {value!r}")
            cfg[key] = value
        elif key == "output_shape":
            cfg[key] = _merge_shapes(cfg[key], value)
        elif key == "gpt_image_2_transparent":
            cfg[key] = _choice(key, value, ("allow", "error"))
        elif key == "drift":
            cfg[key] = _drift(value)
        elif key == "fal_cancelled_status":
            cfg[key] = _choice(key, value, ("COMPLETED", "CANCELLED"))
        elif key == "inline_limit":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ConfigProblem(f"inline_limit must be a whole number of bytes or null, not {value!r}")
            cfg[key] = value
        elif key == "fal_mask_reading":
            cfg[key] = _choice(key, value, ("alpha", "brightness"))
        elif key == "eachlabs_schema":
            cfg[key] = _choice(key, value, EACHLABS_SCHEMAS)
        elif key == "answer_size":
            cfg[key] = _choice(key, value, ("requested", "input"))
        elif key == "replicate_schema":
            cfg[key] = _choice(key, value, REPLICATE_SCHEMAS)
        elif key == "today":
            if value is not None:
                try:
                    date.fromisoformat(str(value))
                except ValueError:
                    raise ConfigProblem(
                        f"today must be a date like 2026-12-01 or null, not {value!r}"
                    ) from None
            cfg[key] = value
        elif key == "responses_moderation":
            cfg[key] = _choice(key, value, ("call", "response"))
    return cfg


def _drift(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if not isinstance(value, dict) or set(value) - {"strength", "seed"}:
        raise ConfigProblem("drift must be null, true/false or an object with 'strength' and/or 'seed'")
    out = {"strength": 1.0, "seed": 0}
    if "strength" in value:
        strength = _number("drift.strength", value["strength"])
        if strength > 3:
            raise ConfigProblem(f"drift.strength must be at most 3, not {strength}")
        out["strength"] = strength
    if "seed" in value:
        seed = value["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigProblem(f"drift.seed must be a whole number >= 0, not {seed!r}")
        out["seed"] = seed
    return out


def _merge_shapes(current: dict[str, str], value: Any) -> dict[str, str]:
    shapes = dict(current)
    if isinstance(value, str):
        # a bare word applies to every provider that has such a shape ("string" → each::labs + Replicate)
        targets = [p for p, allowed in OUTPUT_SHAPES.items() if value in allowed]
        if not targets:
            raise ConfigProblem(f"no provider has output shape {value!r}")
        for provider in targets:
            shapes[provider] = value
        return shapes
    if not isinstance(value, dict):
        raise ConfigProblem("output_shape must be a word or an object {provider: shape}")
    for provider, shape in value.items():
        if provider not in OUTPUT_SHAPES:
            raise ConfigProblem(f"output_shape: unknown provider {provider!r}")
        shapes[provider] = _choice(f"output_shape.{provider}", shape, OUTPUT_SHAPES[provider])
    return shapes


def defaults() -> dict[str, Any]:
    return copy.deepcopy(DEFAULTS)
