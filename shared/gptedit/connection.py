"""Test a provider's connection for free: is the base URL the provider's API, is the key accepted, which
models can the key use, can the models' input schemas be read. Every request here is a free look-up
(a model list, a model's description, a made-up job id), never a paid create.

`check_connection` never raises: every problem becomes a sentence in the report, so the command line and the
plugins' *Test connection* buttons show words, never a traceback. It talks to the network: front ends call
it on a worker thread, never on a host's GUI thread.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .catalog import PROVIDERS
from .errors import AuthError, GptEditError, NetworkError, RequestTimeout
from .retirement import offered_models
from .settings import SANDBOX, SHARES_ACCOUNT, Settings, mask_key, resolve

#: seconds to wait for each look-up: a connection test should answer quickly
READ_TIMEOUT = 20.0


@dataclass
class Finding:
    #: True: works; False: does not; None: could not tell
    ok: bool | None
    text: str

    @property
    def mark(self) -> str:
        return {True: "ok", False: "FAILED", None: "?"}[self.ok]


@dataclass
class ConnectionReport:
    provider: str
    label: str
    base_url: str
    #: where the key came from, masked: "OPENAI_API_KEY (environment) …abcd"
    key: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The key was accepted and nothing failed."""
        return any(f.ok for f in self.findings) and not any(f.ok is False for f in self.findings)

    def add(self, ok: bool | None, text: str) -> None:
        self.findings.append(Finding(ok, text))

    def lines(self) -> list[str]:
        head = f"{self.label} at {self.base_url} · key {self.key}"
        return [head] + [f"  {f.mark:<6} {f.text}" for f in self.findings]

    def text(self) -> str:
        return "\n".join(self.lines())

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "base_url": self.base_url,
            "key": self.key,
            "ok": self.ok,
            "findings": [{"ok": f.ok, "text": f.text} for f in self.findings],
        }


def _key_words(settings: Settings) -> str:
    source = settings.sources.get("api_key", "default")
    where = {
        "env": settings.key_env or "the environment",
        "config": "the config file",
        "flag": "what was typed",
        "default": "built in",
    }.get(source, source)
    return f"{mask_key(settings.api_key)} (from {where})"


def _said(exc: Exception) -> str:
    return str(exc).strip() or type(exc).__name__


def check_connection(settings: Settings, *, provider=None) -> ConnectionReport:
    """Check `settings`' provider with free requests and say in words what works. Never raises."""
    info = PROVIDERS.get(settings.protocol)
    label = (
        "the sandbox (each::labs' protocol)"
        if settings.provider == SANDBOX
        else (info.label if info else settings.provider)
    )
    report = ConnectionReport(settings.provider, label, settings.base_url, _key_words(settings))
    try:
        if provider is None:
            from .engine import provider_for  # late: engine imports much of the core

            provider = provider_for(settings)
    except GptEditError as exc:  # no key, a plain-http base URL, an unknown provider
        report.add(False, _said(exc))
        return report
    probe = _PROBES.get(settings.protocol)
    if probe is None:
        report.add(None, f"gptedit has no free check for {label}.")
        return report
    try:
        probe(settings, provider, report)
    except AuthError as exc:
        report.add(False, f"Key refused: {_said(exc)}")
    except (NetworkError, RequestTimeout) as exc:
        report.add(False, f"Could not reach {settings.base_url}: {_said(exc)}")
    except GptEditError as exc:
        report.add(False, _said(exc))
    except Exception as exc:  # noqa: BLE001 - a check must say what went wrong, never crash its caller
        report.add(False, f"The check stopped unexpectedly ({type(exc).__name__}: {exc}).")
    return report


def _get(provider, path: str) -> Any:
    return provider.transport.request_json("GET", path, idempotent=True, read_timeout=READ_TIMEOUT).body


def _not_found_means_accepted(provider, path: str, what: str, report: ConnectionReport) -> None:
    """Look up a job id that cannot exist: "not found" comes back only after the key was accepted, and
    "unauthorized" when it was not (UNCONFIRMED that every provider checks the key first; a 401/403 is
    decisive, a 404 is taken as accepted)."""
    try:
        _get(provider, path)
    except AuthError:
        raise
    except GptEditError as exc:
        if exc.status == 404:
            report.add(True, f"Key accepted (a look-up of a made-up {what} was answered “not found”).")
            return
        raise
    report.add(True, f"Key accepted (a look-up of a made-up {what} was answered).")


def _models_line(report: ConnectionReport, usable: list[str], missing: list[str], why: str) -> None:
    if usable:
        report.add(True, f"Models the key can use: {', '.join(usable)}.")
    if missing:
        report.add(None if usable else False, f"Not available to this key: {', '.join(missing)} ({why}).")


def _openai(settings: Settings, provider, report: ConnectionReport) -> None:
    from . import model_access

    access = model_access.refresh(settings, provider=provider)
    ids = access.ids if access else frozenset()
    report.add(True, f"Key accepted; OpenAI's model list names {len(ids)} models.")
    offered = [m.id for m in offered_models(settings.protocol)]
    _models_line(
        report,
        [m for m in offered if m in ids],
        [m for m in offered if m not in ids],
        "new image models can need organisation verification first",
    )
    if settings.protocol == "openai-responses":
        mainline = settings.text_model
        if mainline in ids:
            report.add(True, f"{mainline}, the text model that calls the image tool, is available.")
        else:
            report.add(
                False,
                f"{mainline}, the text model that calls the image tool, is not in the key's model list.",
            )


def _replicate(settings: Settings, provider, report: ConnectionReport) -> None:
    accepted = False
    for model in offered_models(settings.protocol):
        try:
            body = _get(provider, f"/v1/models/{model.id}")
        except AuthError:
            raise
        except GptEditError as exc:
            if not accepted and exc.status is None:
                raise
            if not accepted and exc.status == 404:  # answered after the key was checked
                report.add(True, "Key accepted.")
                accepted = True
            report.add(False, f"{model.id}: {_said(exc)}")
            continue
        if not accepted:
            report.add(True, "Key accepted.")
            accepted = True
        version = body.get("latest_version") if isinstance(body, Mapping) else None
        schema = version.get("openapi_schema") if isinstance(version, Mapping) else None
        fields = _replicate_fields(schema)
        if fields:
            report.add(True, f"{model.id}: input schema fetched ({', '.join(fields)}).")
        else:
            report.add(
                None, f"{model.id}: found, but without an input schema; gptedit's built-in knowledge applies."
            )


def _replicate_fields(schema: Any) -> list[str]:
    try:
        props = schema["components"]["schemas"]["Input"]["properties"]
    except (KeyError, TypeError):
        return []
    return sorted(props) if isinstance(props, Mapping) else []


def _fal(settings: Settings, provider, report: ConnectionReport) -> None:
    models = offered_models(settings.protocol)
    app = "/".join(models[0].id.strip("/").split("/")[:2]) if models else "openai/gpt-image-2"
    _not_found_means_accepted(provider, f"/{app}/requests/{uuid.uuid4()}/status", "request", report)
    report.add(
        None, f"Endpoints offered: {', '.join(m.id for m in models)} (fal publishes no per-key model list)."
    )


def _eachlabs(settings: Settings, provider, report: ConnectionReport) -> None:
    _not_found_means_accepted(provider, f"/v1/prediction/{uuid.uuid4()}", "prediction", report)
    for model in offered_models("eachlabs"):
        try:
            body = _get(provider, f"/v1/model?slug={model.id}")
        except AuthError:
            raise
        except GptEditError as exc:
            report.add(
                None,
                f"{model.id}: its input schema could not be read ({_said(exc)}); gptedit's built-in "
                "knowledge applies.",
            )
            continue
        schema = body.get("request_schema") if isinstance(body, Mapping) else None
        props = schema.get("properties") if isinstance(schema, Mapping) else None
        if isinstance(props, Mapping) and props:
            report.add(True, f"{model.id}: input schema fetched ({', '.join(sorted(props))}).")
        else:
            report.add(
                None,
                f"{model.id}: listed, but without an input schema; gptedit's built-in knowledge applies.",
            )


_PROBES = {
    "openai": _openai,
    "openai-responses": _openai,
    "replicate": _replicate,
    "fal": _fal,
    "eachlabs": _eachlabs,
}


def settings_to_test(provider: str, *, key: str = "", base_url: str = "") -> Settings:
    """What a *Test connection* button checks: the saved settings for `provider`, with a key or base URL
    typed into the dialog (not saved yet) winning. May raise ConfigError (an unreadable config file)."""
    return resolve(
        {"provider": provider, "api_key": key.strip() or None, "base_url": base_url.strip() or None}
    )


def key_owner(provider: str) -> str:
    """The provider whose key and base URL fields a settings page shows for `provider`."""
    return SHARES_ACCOUNT.get(provider, provider)


def check_in_background(settings: Settings, done: Callable[[ConnectionReport], None]) -> threading.Thread:
    """Run `check_connection` on a worker thread and hand the report to `done` there: hosts forward it to
    their GUI thread (a queued Qt signal, GLib.idle_add). A `done` that fails (a closed dialog) is ignored."""

    def body() -> None:
        report = check_connection(settings)
        try:
            done(report)
        except Exception:  # noqa: BLE001 - the dialog may be gone; the check itself is harmless
            pass

    thread = threading.Thread(target=body, name="gptedit-connection-test", daemon=True)
    thread.start()
    return thread
