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
from gi.repository import GimpUi, GLib, Gtk  # noqa: E402
from gptedit.catalog import PROVIDERS, model_info  # noqa: E402
from gptedit.errors import GptEditError  # noqa: E402
from gptedit.geometry import plan_edit  # noqa: E402
from gptedit.pricing import estimate  # noqa: E402
from gptedit.settings import mask_key, resolve  # noqa: E402

from .canvas_read import selection_box  # noqa: E402
from .options import read_edit_options  # noqa: E402
from .testing_hooks import hooks, record  # noqa: E402

MAIN = ["prompt", "provider", "model", "quality", "size", "variations", "source"]
MORE = ["output-format", "background", "padding", "add-mask", "reference-1", "reference-2", "deadline"]


def summary(config, image) -> str:
    """One or two lines: provider, model, key source, and the estimated cost of the edit as configured."""
    try:
        opts = read_edit_options(config.get_property)
        s = resolve(opts.settings_flags())
        info = model_info(s.protocol, s.model)
        plan = plan_edit(image.get_width(), image.get_height(), selection_box(image), info.sizes, size=s.size,
                         padding=s.padding, max_send_side=s.max_send_side)
        cost = estimate(s.protocol, s.model, plan.request_size, s.quality, s.n, input_images=[plan.send_size],
                        prompt_chars=len(opts.prompt))
        label = "sandbox (offline)" if s.provider == "sandbox" else PROVIDERS[s.protocol].label
        key = mask_key(s.api_key) + (" from the environment" if s.sources.get("api_key") == "env" else "")
        size = plan.request_size or plan.suggested_size
        return (f"Estimated cost: {cost.text()}  ({s.n} × {size or 'auto'}, {s.quality.value} quality)\n"
                f"{label} · {info.label} · key {key}")
    except GptEditError as exc:
        return f"Cannot estimate yet: {exc.message}"
    except Exception as exc:  # the dialog must open even if the estimate has a bug
        return f"Cannot estimate: {exc}"


def _auto_answer(dialog, shown: Gtk.Label | None = None) -> None:
    """Test seam (testing_hooks.py): make the choices a person would ("set": {property: value}), report what
    the cost line then says, and answer the dialog."""
    config = dialog.get_property("config")
    for name, value in (hooks().get("set") or {}).items():
        config.set_property(name, value)
    answer = hooks().get("dialog")
    if answer in ("ok", "cancel"):
        if shown is not None:
            GLib.timeout_add(600, lambda: (record(dialog_summary=shown.get_text()), False)[1])
        response = Gtk.ResponseType.OK if answer == "ok" else Gtk.ResponseType.CANCEL
        GLib.timeout_add(700, lambda: (dialog.response(response), False)[1])


def ask_edit_options(procedure, config, image, drawables) -> bool:
    """Show the edit dialog; True when the user pressed OK (the config then holds the choices)."""
    GimpUi.init("python-fu-gptedit")
    dialog = GimpUi.ProcedureDialog.new(procedure, config, "Edit with GPT Image")
    # A multi-line prompt: ProcedureDialog turns a string property into a text view when asked to.
    prompt = dialog.get_widget("prompt", Gtk.TextView.__gtype__)
    if prompt is not None and hasattr(prompt, "set_size_request"):
        prompt.set_size_request(420, 90)
    cost = dialog.get_label("cost-label", summary(config, image), False, False)
    dialog.fill_box("more-box", MORE)
    dialog.get_label("more-title", "More options", False, False)
    dialog.fill_expander("more", "more-title", False, "more-box")
    dialog.fill([*MAIN, "more", "cost-label"])

    def refresh(*_args):
        if isinstance(cost, Gtk.Label):
            cost.set_text(summary(config, image))

    config.connect("notify", refresh)
    refresh()
    _auto_answer(dialog, cost if isinstance(cost, Gtk.Label) else None)
    ok = dialog.run()
    dialog.destroy()
    return bool(ok)


def ask_settings(procedure, config, current: str) -> bool:
    GimpUi.init("python-fu-gptedit-settings")
    dialog = GimpUi.ProcedureDialog.new(procedure, config, "GPT Image settings")
    entry_box = dialog.get_widget("api-key", GimpUi.LabelEntry.__gtype__)
    if entry_box is not None and hasattr(entry_box, "get_entry"):
        entry_box.get_entry().set_visibility(False)  # a key typed here is not shown on screen
    dialog.get_label("current", "Now in effect:\n" + current, False, False)
    dialog.fill(["provider", "key-provider", "api-key", "forget-key", "base-url", "model", "quality", "size",
                 "current"])
    _auto_answer(dialog)
    ok = dialog.run()
    dialog.destroy()
    return bool(ok)
