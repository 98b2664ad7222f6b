"""python-fu-gptedit-settings: change the ONE config file that GIMP, Krita and the command line share.

The file is written 0600 by the core (it may hold API keys). Environment variables still win over it when
an edit runs (`settings.resolve`), so the procedure reports where each effective value comes from: a key
typed here that an `OPENAI_API_KEY` in the environment overrides should not be a mystery.
"""

from __future__ import annotations

from gi.repository import Gimp, GLib, GObject
from gptedit.settings import KEY_ENV, mask_key, resolve, set_config_value

from . import messages
from . import options as O
from .arguments import RW, add_choice

UNCHANGED = "unchanged"


def add_arguments(proc) -> None:
    provider_pairs = [(UNCHANGED, "Keep the current provider")] + O.PROVIDER_CHOICES[1:]
    add_choice(proc, "provider", "Default _provider", "Provider edits use when none is chosen", provider_pairs)
    add_choice(proc, "key-provider", "_Key and URL for", "Which provider the key, base URL and model below "
                "belong to", O.PROVIDER_CHOICES[2:])
    proc.add_string_argument("api-key", "API _key", "Saved readable only by you; empty = keep the saved key",
                             "", RW)
    proc.add_boolean_argument("forget-key", "_Forget the saved key", "Remove the saved key for that provider",
                              False, RW)
    proc.add_string_argument("base-url", "Base _URL", "Gateway or proxy URL; empty = keep; 'default' = the "
                             "provider's own", "", RW)
    proc.add_string_argument("model", "_Model", O.model_blurb(), "", RW)
    add_choice(proc, "quality", "Default _quality", "", [(UNCHANGED, "Keep")] + O.QUALITY_CHOICES[1:])
    proc.add_string_argument("size", "Default si_ze", "WIDTHxHEIGHT or auto; empty = keep", "", RW)
    proc.add_string_return_value("message", "Message", "The effective settings, keys masked", "", RW)


def apply(get, typed_key: str = "") -> str:
    """Write the changes a getter describes (and a key typed into the dialog); return a report of the
    effective settings."""
    provider = get("provider") or UNCHANGED
    if provider != UNCHANGED:
        set_config_value("provider", provider)
    target = get("key-provider") or "eachlabs"
    key = typed_key or (get("api-key") or "").strip()
    if get("forget-key"):
        set_config_value("api_key", None, provider=target)
    elif key:
        set_config_value("api_key", key, provider=target)
    url = (get("base-url") or "").strip()
    if url:
        set_config_value("base_url", None if url == "default" else url, provider=target)
    model = (get("model") or "").strip()
    if model:
        set_config_value("model", model, provider=target)
    quality = get("quality") or UNCHANGED
    if quality != UNCHANGED:
        set_config_value("quality", quality)
    size = (get("size") or "").strip()
    if size:
        set_config_value("size", size)
    return report()


def report() -> str:
    s = resolve({})
    src = s.sources
    lines = [f"provider: {s.provider} ({src.get('provider', '?')})",
             f"model: {s.model}", f"base URL: {s.base_url}",
             f"API key: {mask_key(s.api_key)} ({src.get('api_key', '?')})",
             f"quality: {s.quality.value}, size: {s.size}, variations: {s.n}"]
    env = KEY_ENV.get(s.protocol)
    if env and src.get("api_key") == "env":
        lines.append(f"The key comes from the environment variable {env}; it wins over the saved one.")
    return "\n".join(lines)


def run(procedure, run_mode, image, drawables, config, run_data=None):
    try:
        typed = ""
        if run_mode == Gimp.RunMode.INTERACTIVE:
            from .dialog import ask_settings

            typed = ask_settings(procedure, config, report())
            if typed is None:
                return messages.cancelled(procedure)
        text = apply(config.get_property, typed)
        if run_mode == Gimp.RunMode.INTERACTIVE:
            Gimp.message("GPT Image settings saved.\n" + text)
        # A key passed by a script must not be kept as a "last used value" in GIMP's profile.
        config.set_property("api-key", "")
        return Gimp.ValueArray.new_from_values([
            GObject.Value(Gimp.PDBStatusType, Gimp.PDBStatusType.SUCCESS),
            GObject.Value(GObject.TYPE_STRING, text),
        ])
    except Exception as exc:
        return procedure.new_return_values(Gimp.PDBStatusType.EXECUTION_ERROR, GLib.Error(messages.people_message(exc)))
