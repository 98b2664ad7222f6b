"""python-fu-gptedit-settings: change the ONE config file that GIMP, Krita and the command line share.

The file is written 0600 by the core (it may hold API keys). Environment variables still win over it when
an edit runs (`settings.resolve`), so the procedure reports where each effective value comes from: a key
typed here that an `OPENAI_API_KEY` in the environment overrides should not be a mystery.
"""

from __future__ import annotations

from gi.repository import Gimp, GLib, GObject
from gptedit.catalog import PROVIDERS
from gptedit.settings import (
    DEFAULTS,
    FIELD,
    GIMP_PAGE,
    KEY_ENV,
    PER_PROVIDER,
    TOP,
    Field,
    page_fields,
    public_view,
    resolve,
    set_config_value,
)

from . import messages
from . import options as O
from .arguments import RW, add_choice

UNCHANGED = "unchanged"


def argument(f: Field) -> str:
    """The procedure argument for a settings field (GIMP spells properties with dashes)."""
    return f.name.replace("_", "-")


def _nick(f: Field) -> str:
    if f.section == PER_PROVIDER:
        return "API _key" if f.secret else f"_{f.label}"
    return f"Default _{f.label.lower()}"


def add_arguments(proc) -> None:
    """One argument per field `settings.FIELDS` marks for GIMP's settings page; the per-provider ones apply
    to the provider chosen in "key-provider"."""
    for f in page_fields(GIMP_PAGE):
        if f.section == PER_PROVIDER:
            continue
        if f.choices:
            labels = dict(O.PROVIDER_CHOICES[1:]) if f.name == "provider" else {}
            pairs = [(c, labels.get(c, c.capitalize())) for c in f.choices]
            add_choice(
                proc,
                argument(f),
                _nick(f),
                f.help or f"Default {f.label.lower()} for edits",
                [(UNCHANGED, f"Keep the current {f.label.lower()}")] + pairs,
            )
        else:
            proc.add_string_argument(argument(f), _nick(f), f"{f.help}; empty = keep".lstrip("; "), "", RW)
    # the providers that take a key: the catalog's (the sandbox needs none)
    add_choice(
        proc,
        "key-provider",
        "_Key and URL for",
        "Which provider the key, base URL and model below belong to",
        [(name, info.label) for name, info in PROVIDERS.items()],
    )
    for f in page_fields(GIMP_PAGE):
        if f.section != PER_PROVIDER:
            continue
        if f.secret:
            proc.add_string_argument(
                argument(f), _nick(f), "Saved readable only by you; empty = keep the saved key", "", RW
            )
            proc.add_boolean_argument(
                "forget-key", "_Forget the saved key", "Remove the saved key for that provider", False, RW
            )
        elif f.name == "model":
            proc.add_string_argument(argument(f), _nick(f), O.model_blurb(), "", RW)
        else:
            proc.add_string_argument(
                argument(f), _nick(f), f"{f.help}; empty = keep; 'default' = the provider's own", "", RW
            )
    proc.add_string_return_value("message", "Message", "The effective settings, keys masked", "", RW)


def dialog_arguments() -> list[str]:
    """What the settings dialog shows, in order (the key has its own entry: see dialog.ask_settings)."""
    fields = page_fields(GIMP_PAGE)
    top = [argument(f) for f in fields if f.section == TOP]
    own = [argument(f) for f in fields if f.section == PER_PROVIDER and not f.secret]
    rest = [argument(f) for f in fields if f.section == DEFAULTS]
    return [*top, "key-provider", "forget-key", *own, *rest]


def apply(get, typed_key: str = "") -> str:
    """Write the changes a getter describes (and a key typed into the dialog); return a report of the
    effective settings."""
    target = get("key-provider") or "eachlabs"
    for f in page_fields(GIMP_PAGE):
        if f.secret:
            key = typed_key or (get(argument(f)) or "").strip()
            if get("forget-key"):
                set_config_value(f.name, None, provider=target)
            elif key:
                set_config_value(f.name, key, provider=target)
            continue
        value = get(argument(f)) or ""
        value = value.strip() if isinstance(value, str) else value
        if value in ("", UNCHANGED):
            continue
        if f.section == PER_PROVIDER:
            set_config_value(
                f.name, None if value == "default" and f.name == "base_url" else value, provider=target
            )
        else:
            set_config_value(f.name, value)
    return report()


def report() -> str:
    """The settings in effect for the fields GIMP's page shows, with where each comes from; keys masked."""
    s = resolve({})
    lines = []
    for name, value in public_view(s).items():
        if GIMP_PAGE in FIELD[name].pages or name == "n":
            lines.append(f"{name.replace('_', ' ')}: {value} ({s.sources.get(name, '?')})")
    env = KEY_ENV.get(s.protocol)
    if env and s.sources.get("api_key") == "env":
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
        return Gimp.ValueArray.new_from_values(
            [
                GObject.Value(Gimp.PDBStatusType, Gimp.PDBStatusType.SUCCESS),
                GObject.Value(GObject.TYPE_STRING, text),
            ]
        )
    except Exception as exc:
        return procedure.new_return_values(
            Gimp.PDBStatusType.EXECUTION_ERROR, GLib.Error(messages.people_message(exc))
        )
