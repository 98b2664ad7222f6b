"""The interactive dialogs (GimpUi.ProcedureDialog), only ever built in INTERACTIVE run mode.

ProcedureDialog edits the procedure's own config, so GIMP remembers the choices as the procedure's
last-used values, and a script sees the very same options as arguments. Below the options the dialog shows
what the edit will cost in money and which provider and key it will use, recomputed whenever an option
changes (the estimate is the core's, so Krita and the command line quote the same figure).
"""

from __future__ import annotations

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("GimpUi", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import GimpUi, GLib, GObject, Gtk  # noqa: E402
from gptedit import recipe  # noqa: E402
from gptedit.catalog import PROVIDERS  # noqa: E402
from gptedit.errors import GptEditError  # noqa: E402
from gptedit.model_access import access_note  # noqa: E402
from gptedit.model_options import check_settings_choices  # noqa: E402
from gptedit.settings import mask_key, resolve  # noqa: E402

from .canvas_read import plan_for  # noqa: E402
from .options import read_edit_options  # noqa: E402

MAIN = [
    "prompt",
    "provider",
    "model",
    "quality",
    "complexity",
    "size",
    "variations",
    "source",
    "markup-layer",
]
#: shown only for models that have them
FOLLOW_MODEL = {
    "complexity": lambda info: bool(info.complexities),
    "markup-layer": lambda info: info.supports_markup,
}
MORE = ["output-format", "background", "padding", "add-mask", "reference-1", "reference-2", "deadline"]


def summary(config, image) -> str:
    """One or two lines: provider, model, key source, and the estimated cost of the edit as configured."""
    try:
        opts = read_edit_options(config.get_property)
        s = resolve(opts.settings_flags())
        info = recipe.model_for(s)
        plan = plan_for(image, s)
        cost = recipe.quote(s, plan, len(opts.prompt), markup=bool(opts.markup_id))
        label = "sandbox (offline)" if s.provider == "sandbox" else PROVIDERS[s.protocol].label
        key = mask_key(s.api_key) + (" from the environment" if s.sources.get("api_key") == "env" else "")
        size = plan.request_size or plan.suggested_size
        check_settings_choices(
            s.protocol,
            s.model,
            quality=s.quality,
            complexity=s.complexity if s.sources.get("complexity") == "flag" else None,
            markup=bool(opts.markup_id),
        )
        note = access_note(s, s.model)  # the key's cached model list (Test connection refreshes it)
        return (
            f"Estimated cost: {cost.text()}  ({s.n} × {size or 'auto'}, {s.quality.value} quality"
            f"{' + markup' if opts.markup_id else ''})\n{label} · {info.label} · key {key}"
            + (f"\n{note}" if note else "")
        )
    except GptEditError as exc:
        return f"Cannot estimate yet: {exc.message}"
    except Exception as exc:  # the dialog must open even if the estimate has a bug
        return f"Cannot estimate: {exc}"


def ask_edit_options(procedure, config, image, drawables) -> bool:
    """Show the edit dialog; True when the user pressed OK (the config then holds the choices)."""
    GimpUi.init("python-fu-gptedit")
    dialog = GimpUi.ProcedureDialog.new(procedure, config, "Edit with GPT Image")
    # A multi-line prompt: ProcedureDialog turns a string property into a text view when asked to.
    prompt = dialog.get_widget("prompt", Gtk.TextView.__gtype__)
    if prompt is not None and hasattr(prompt, "set_size_request"):
        prompt.set_size_request(420, 90)
    dialog.get_label("prompt-label", "Describe the edit:", False, False)
    for prop, hint in (("model", "the provider's default"), ("size", "from settings: auto or WIDTHxHEIGHT")):
        box = dialog.get_widget(prop, GimpUi.LabelEntry.__gtype__)
        if box is not None and hasattr(box, "get_entry"):
            box.get_entry().set_placeholder_text(hint)
    cost = dialog.get_label("cost-label", summary(config, image), False, False)
    dialog.fill_box("more-box", MORE)
    dialog.get_label("more-title", "More options", False, False)
    dialog.fill_expander("more", "more-title", False, "more-box")
    dialog.fill(["prompt-label", *MAIN, "more", "cost-label"])

    follow = {prop: dialog.get_widget(prop, GObject.TYPE_NONE) for prop in FOLLOW_MODEL}

    def refresh(*_args):
        if isinstance(cost, Gtk.Label):
            cost.set_text(summary(config, image))
        info = None
        try:
            info = recipe.model_for(resolve(read_edit_options(config.get_property).settings_flags()))
        except GptEditError:
            pass  # the cost line names the problem
        for prop, widget in follow.items():
            if widget is not None and info is not None:
                widget.set_visible(FOLLOW_MODEL[prop](info))

    config.connect("notify", refresh)
    refresh()
    ok = dialog.run()
    dialog.destroy()
    return bool(ok)


def _test_connection_row(config, key_entry: Gtk.Entry):
    """*Test connection*: free look-ups for the provider the key and URL fields belong to, with what is typed
    (not saved yet) winning. The network runs on a worker thread; the answer comes back through
    GLib.idle_add, so GIMP never waits on it."""
    box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=6, margin_start=12, margin_end=12)
    button = Gtk.Button.new_with_mnemonic("_Test connection")
    button.set_halign(Gtk.Align.START)
    result = Gtk.Label(label="", xalign=0, selectable=True)
    result.set_line_wrap(True)
    box.pack_start(button, False, False, 0)
    box.pack_start(result, False, False, 0)

    def show(text: str) -> bool:
        button.set_sensitive(True)
        result.set_text(text)
        return False

    def clicked(_button) -> None:
        from gptedit.connection import check_in_background, settings_to_test

        provider = config.get_property("key-provider") or "eachlabs"
        url = (config.get_property("base-url") or "").strip()
        try:
            settings = settings_to_test(
                provider, key=key_entry.get_text(), base_url="" if url == "default" else url
            )
        except GptEditError as exc:
            show(exc.message)
            return
        button.set_sensitive(False)
        result.set_text(f"Testing {provider} at {settings.base_url}…")
        check_in_background(settings, lambda report: GLib.idle_add(show, report.text()))

    button.connect("clicked", clicked)
    return box, button, result


def ask_settings(procedure, config, current: str) -> str | None:
    """Show the settings dialog; returns the API key typed (or "") on OK, None on Cancel.

    The key field is a plain GTK entry, NOT the procedure's "api-key" property: ProcedureDialog's "Save
    Settings" button and GIMP's last-used values store properties in the GIMP profile in plain text, and a
    key must only ever land in the shared config file (0600)."""
    GimpUi.init("python-fu-gptedit-settings")
    dialog = GimpUi.ProcedureDialog.new(procedure, config, "GPT Image settings")
    from .settings_proc import dialog_arguments

    dialog.fill(dialog_arguments())
    key_entry = Gtk.Entry(visibility=False, placeholder_text="empty = keep the saved key")
    key_entry.set_input_purpose(Gtk.InputPurpose.PASSWORD)
    row = Gtk.Box(orientation=Gtk.Orientation.HORIZONTAL, spacing=12, margin_start=12, margin_end=12)
    label = Gtk.Label(label="API _key (for the provider chosen above):", use_underline=True, xalign=0)
    label.set_mnemonic_widget(key_entry)
    row.pack_start(label, False, False, 0)
    row.pack_start(key_entry, True, True, 0)
    now = Gtk.Label(label="Now in effect:\n" + current, xalign=0, margin_start=12, margin_end=12)
    now.set_line_wrap(True)
    dialog.get_content_area().pack_start(row, False, False, 6)
    dialog.get_content_area().pack_start(now, False, False, 6)
    test_row, button, result = _test_connection_row(config, key_entry)
    dialog.get_content_area().pack_start(test_row, False, False, 6)
    row.show_all()
    now.show()
    test_row.show_all()
    ok = dialog.run()
    key = key_entry.get_text().strip()
    dialog.destroy()
    return key if ok else None
