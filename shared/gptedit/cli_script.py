"""The command line for scripts: `--json` (one JSON object per job on stdout) and `--dry-run` (the plan, the
request and the estimate; nothing reaches the provider).

A dry run shows the requests exactly as our client would make them: the client runs against a private
sandbox on loopback (started for the purpose, with a made-up key, so the real key goes nowhere), and
the sandbox's record of each request is shown with the configured base URL in place of the sandbox's. No
job is written to the ledger and nothing is charged."""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import replace
from typing import Any

from . import recipe
from .errors import ConfigError, GptEditError
from .models import EditRequest
from .settings import Settings

_print_lock = threading.Lock()


def emit(obj: dict[str, Any], *, pretty: bool = False) -> None:
    """One object on stdout (one line unless `pretty`); safe from batch worker threads."""
    text = json.dumps(obj, ensure_ascii=False, indent=2 if pretty else None, default=str)
    with _print_lock:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def job_json(job, *, outputs: list[str] | None = None) -> dict[str, Any]:
    """A finished (or stopped) job for scripts. `outputs`: the files written for it, when any."""
    return {
        "id": job.id,
        "state": job.state.value,
        "provider": job.provider,
        "model": job.model,
        "outputs": list(outputs if outputs is not None else job.results),
        "results": list(job.results),
        "estimate": {"low": job.estimate_low, "high": job.estimate_high, "currency": "USD"},
        "cost": job.cost,
        "error": job.error or None,
        "error_kind": job.error_kind or None,
        "remote_id": job.handle.remote_id if job.handle else None,
        "input": job.context.input or None,
    }


def refused_json(exc: Exception, *, input_path: str | None = None) -> dict[str, Any]:
    """A job that never started (bad input, settings, key): same fields, no id."""
    return {
        "id": None,
        "state": "refused",
        "provider": None,
        "model": None,
        "outputs": [],
        "results": [],
        "estimate": None,
        "cost": None,
        "error": str(exc),
        "error_kind": getattr(exc, "kind", "error"),
        "remote_id": None,
        "input": input_path,
    }


def dry_run(settings: Settings, request: EditRequest, *, input_path: str | None = None) -> dict[str, Any]:
    """Everything a run would do before the first byte leaves, without sending it."""
    from .engine import provider_for, provider_options

    notes: list[str] = []
    recipe.check(settings, request)
    try:
        provider_for(settings, **provider_options(settings)).check(request)
    except ConfigError as exc:  # a missing key is worth saying, not worth refusing a dry run for
        notes.append(str(exc))
    est = recipe.quote_request(settings, request)
    plan = {
        "provider": settings.provider,
        "protocol": settings.protocol,
        "base_url": settings.base_url,
        **request.describe(),
        "references": len(request.images) - 1,
    }
    plan["prompt"] = request.prompt
    return {
        "dry_run": True,
        "input": input_path,
        "plan": plan,
        "requests": _captured(settings, request, notes),
        "estimate": {
            "low": est.low,
            "high": est.high,
            "currency": "USD",
            "text": est.text(),
            "basis": est.basis,
        },
        "notes": notes,
    }


def _captured(settings: Settings, request: EditRequest, notes: list[str]) -> list[dict[str, Any]]:
    from .engine import provider_for, provider_options
    from .sandbox import Sandbox  # Pillow lives there; only the command line pulls it in

    sb = Sandbox(port=0, config={"latency": 0.0})
    sb.start()
    try:
        local = sb.base_urls[settings.protocol]
        stand_in = replace(settings, base_url=local, api_key="dry-run")
        try:
            provider_for(stand_in, **provider_options(stand_in)).submit(request)
        except GptEditError as exc:
            notes.append(f"Sending stopped early on the local stand-in: {exc}")
        prefix = local[len(sb.api_url) :]
        shown = []
        for entry in sb.requests():
            entry = dict(entry)
            path = entry.pop("path")
            if entry.get("listener") == "api" and path.startswith(prefix):
                entry["url"] = settings.base_url.rstrip("/") + path[len(prefix) :]
            else:
                entry["url"] = f"(the provider's storage host){path}"
            entry.pop("listener", None)
            shown.append({"url": entry.pop("url"), **entry})
        return shown
    finally:
        sb.stop()
