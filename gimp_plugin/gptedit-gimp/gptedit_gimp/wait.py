"""Wait for a job without freezing anything: the job runs on a worker thread, this (main) thread runs a GLib
main loop that keeps our own GTK window painting and GIMP's progress bar pulsing.

Events from the core's listener arrive on the worker thread; `GLib.idle_add` hands them to the main loop,
the only thread that may call `Gimp.*`, the PDB or GTK (GIMP's PDB is not thread-safe:
gitlab.gnome.org/GNOME/gimp/-/issues/7370). Blocking on the network in the main thread would make the
window manager call the plug-in "not responding" (thndrbrrr/gimp-stable-boy#6).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from gi.repository import GLib
from gptedit.engine import EditJob, start_in_thread
from gptedit.models import JobEvent

TICK_MS = 150


class WorkerWait:
    """`run(work)` starts `work(edit_job)` on a worker thread and returns the finished `EditJob`.

    on_event(JobEvent) and on_tick(elapsed_seconds) are called on the main thread."""

    def __init__(
        self,
        on_event: Callable[[JobEvent], None] | None = None,
        on_tick: Callable[[float], None] | None = None,
    ):
        self.on_event = on_event or (lambda e: None)
        self.on_tick = on_tick or (lambda t: None)
        self.job: EditJob | None = None
        self._started = time.monotonic()

    # called on the worker thread
    def listener(self, event: JobEvent) -> None:
        GLib.idle_add(self._deliver, event)

    def _deliver(self, event: JobEvent) -> bool:
        try:
            self.on_event(event)
        except Exception:  # a broken progress display must never lose the job
            pass
        return False  # run once

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def run(self, work: Callable[[EditJob], object]) -> EditJob:
        self._started = time.monotonic()
        loop = GLib.MainLoop()
        self.job = start_in_thread(work, name="gptedit-gimp-job")

        def tick() -> bool:
            try:
                self.on_tick(time.monotonic() - self._started)
            except Exception:
                pass
            if self.job.done:
                loop.quit()
                return False
            return True

        GLib.timeout_add(TICK_MS, tick)
        loop.run()
        # Events the worker queued just before it finished: deliver them so the window shows the end state.
        context = GLib.MainContext.default()
        while context.pending():
            context.iteration(False)
        return self.job
