"""The interactive list behind Filters ▸ AI ▸ Recent GPT Image results…: every job in the shared ledger
(from GIMP, Krita or the command line), newest first, with buttons to insert or resume the chosen one."""

from __future__ import annotations

import time

import gi

gi.require_version("GimpUi", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import GimpUi, Gtk  # noqa: E402
from gptedit.ledger import Ledger  # noqa: E402

INSERT, RESUME = 1, 2


def choose_job(ledger: Ledger) -> tuple[str, str] | None:
    """(job id, action) or None when the user closed the dialog."""
    GimpUi.init("python-fu-gptedit-recent")
    jobs = ledger.list(limit=100)
    dialog = Gtk.Dialog(title="Recent GPT Image results")
    dialog.add_button("_Close", Gtk.ResponseType.CANCEL)
    dialog.add_button("_Resume", RESUME)
    dialog.add_button("_Insert", INSERT)
    dialog.set_default_size(720, 360)
    store = Gtk.ListStore(str, str, str, str, str, str)
    for job in jobs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(job.created))
        prompt = " ".join(job.prompt.split())
        note = f"{len(job.results)} image(s)" if job.results else (job.error or "")
        store.append([job.id, when, job.state.value, job.origin, prompt, note])
    view = Gtk.TreeView(model=store)
    for i, title in enumerate(("Job", "When", "State", "From", "Prompt", "Result")):
        cell = Gtk.CellRendererText()
        if i == 4:
            cell.set_property("ellipsize", 3)  # Pango.EllipsizeMode.END
        column = Gtk.TreeViewColumn(title, cell, text=i)
        column.set_resizable(True)
        column.set_expand(i == 4)
        view.append_column(column)
    # Preselect the newest job that has something to insert (a cancelled or failed one has not).
    first = next((i for i, job in enumerate(jobs) if job.results), 0 if jobs else None)
    if first is not None:
        view.get_selection().select_path(Gtk.TreePath.new_from_indices([first]))
    scroller = Gtk.ScrolledWindow()
    scroller.add(view)
    scroller.set_vexpand(True)
    hint = Gtk.Label(
        label="Insert puts the result above the selected layer of the current image; Resume waits "
        "for a job that was still running when GIMP or the plug-in stopped.",
        xalign=0,
    )
    hint.set_line_wrap(True)
    area = dialog.get_content_area()
    area.pack_start(scroller, True, True, 0)
    area.pack_start(hint, False, False, 6)
    dialog.show_all()
    response = dialog.run()
    model, it = view.get_selection().get_selected()
    chosen = model[it][0] if it is not None else None
    dialog.destroy()
    if response not in (INSERT, RESUME) or not chosen:
        return None
    return chosen, "insert" if response == INSERT else "resume"
