"""The plug-in's own progress window: what is happening, elapsed time, estimated cost, partial previews when
the provider streams them, and a Cancel that ends the job cleanly.

GIMP's own progress-bar Cancel kills the plug-in process (docs/hosts.md "GIMP: cancelling"), which would leave
a paid job unfinished; this window's Cancel instead asks the worker to stop, which cancels the remote job
where the provider allows it and records the outcome in the ledger. The window is painted by the GLib main
loop that `wait.WorkerWait` runs on the main thread, so it keeps responding while the worker waits on the
network.
"""

from __future__ import annotations

import time

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("GdkPixbuf", "2.0")
from gi.repository import GdkPixbuf, GLib, Gtk  # noqa: E402
from gptedit.models import EventKind  # noqa: E402

PREVIEW_SIDE = 256
#: seconds the window stays up to show what the seam correction did (three times as long with a warning);
#: Close ends it at once
RESULT_LINGER_S = 4.0


class ProgressWindow:
    def __init__(self, settings, snapshot, prompt: str, title: str = "Editing with GPT Image"):
        self._cancel_cb = None
        self._cancelling = False
        self.window = Gtk.Window(title=title)
        self.window.set_default_size(360, -1)
        self.window.set_keep_above(True)
        self.window.connect("delete-event", self._on_close)
        box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=8, margin=12)
        self.window.add(box)
        short = " ".join(prompt.split())
        prompt_label = Gtk.Label(label=short if len(short) <= 120 else short[:119] + "…", xalign=0)
        prompt_label.set_line_wrap(True)
        box.pack_start(prompt_label, False, False, 0)
        self.status = Gtk.Label(label="Preparing…", xalign=0)
        box.pack_start(self.status, False, False, 0)
        self.bar = Gtk.ProgressBar()
        box.pack_start(self.bar, False, False, 0)
        self.elapsed = Gtk.Label(label="Elapsed: 0 s", xalign=0)
        box.pack_start(self.elapsed, False, False, 0)
        self.cost = Gtk.Label(label=self._estimate_text(settings, snapshot), xalign=0)
        box.pack_start(self.cost, False, False, 0)
        self.preview = Gtk.Image()
        box.pack_start(self.preview, False, False, 0)
        self.button = Gtk.Button.new_with_mnemonic("_Cancel")
        self.button.connect("clicked", self._on_cancel)
        box.pack_end(self.button, False, False, 0)
        self.ticks, self.max_gap, self.partials = 0, 0.0, 0
        #: the insert's steps as they were shown, and how many ticks the window made during each
        self.steps: list[str] = []
        self.step_ticks: list[int] = []
        self._last_tick: float | None = None
        self._shown_result = False
        self.window.show_all()
        self.preview.hide()

    @staticmethod
    def _estimate_text(settings, snapshot) -> str:
        if settings is None or snapshot is None:
            return ""
        try:
            from gptedit import recipe

            return f"Estimated cost: {recipe.quote(settings, snapshot.plan).text()}"
        except Exception:
            return ""

    # --- wiring -------------------------------------------------------------------------------------------
    def connect_cancel(self, callback) -> None:
        self._cancel_cb = callback

    def _on_cancel(self, *_args) -> None:
        if self._cancelling or self.steps:
            return
        self._cancelling = True
        self.button.set_sensitive(False)
        self.status.set_text("Cancelling… (asking the provider to stop)")
        if self._cancel_cb:
            self._cancel_cb()

    def _on_close(self, *_args) -> bool:
        self._on_cancel()
        return True  # stay open until the job has really ended; close() destroys it

    # --- updates, on the main thread ----------------------------------------------------------------------
    def on_event(self, event) -> None:
        if event.kind is EventKind.PARTIAL and event.partial:
            self._show_preview(event.partial)
        if event.kind is EventKind.UPLOAD and event.progress is not None:
            self.bar.set_fraction(max(0.0, min(1.0, event.progress)))
        if event.message and not self._cancelling:
            self.status.set_text(event.message)

    def on_step(self, text: str) -> None:
        """A step of the insert begins: the result is paid for and goes in now, so Cancel is off."""
        if not self.steps:
            self.button.set_sensitive(False)
        self.steps.append(text)
        self.step_ticks.append(0)
        self.status.set_text(text + "…")

    def on_tick(self, elapsed: float) -> None:
        """Every 150 ms while the main loop runs, through the wait and the insert: the longest gap between
        two ticks is how long the window (and the plug-in) did not respond."""
        now = time.monotonic()
        if self._last_tick is not None:
            self.max_gap = max(self.max_gap, now - self._last_tick)
        self._last_tick = now
        self.ticks += 1
        if self.step_ticks and not self._shown_result:
            self.step_ticks[-1] += 1
        self.elapsed.set_text(f"Elapsed: {int(elapsed)} s")
        self.bar.pulse()

    def _show_preview(self, data: bytes) -> None:
        loader = GdkPixbuf.PixbufLoader()
        try:
            loader.write(data)
            loader.close()
        except GLib.Error:
            return  # a damaged partial image is only a missed preview
        pix = loader.get_pixbuf()
        if pix is None:
            return
        scale = min(1.0, PREVIEW_SIDE / max(pix.get_width(), pix.get_height()))
        if scale < 1.0:
            pix = pix.scale_simple(
                max(1, int(pix.get_width() * scale)),
                max(1, int(pix.get_height() * scale)),
                GdkPixbuf.InterpType.BILINEAR,
            )
        self.preview.set_from_pixbuf(pix)
        self.preview.show()
        self.partials += 1

    def show_result(self, text: str, warning: str = "") -> None:
        """After the insert: what the seam correction did, and a plain warning when the edit will not blend
        well. The window lingers a few seconds (the plug-in ends when it closes) or until Close."""
        self._shown_result = True
        self.status.set_text(text)
        self.status.set_line_wrap(True)
        if warning:
            note = Gtk.Label(xalign=0)
            note.set_line_wrap(True)
            note.set_markup(f'<span foreground="#c0392b">{GLib.markup_escape_text(warning)}.</span>')
            self.status.get_parent().pack_start(note, False, False, 0)
            note.show()
        self.bar.set_fraction(1.0)
        self.button.set_label("_Close")
        self.button.set_sensitive(True)
        loop = GLib.MainLoop()
        self.button.disconnect_by_func(self._on_cancel)
        self.button.connect("clicked", lambda *_: loop.quit())
        linger = RESULT_LINGER_S * (3 if warning else 1)
        GLib.timeout_add(int(linger * 1000), lambda: (loop.quit(), False)[1])
        loop.run()

    def close(self) -> None:
        self.window.destroy()
