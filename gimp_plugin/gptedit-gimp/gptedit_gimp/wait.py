"""Wait for a job without freezing anything: the job runs on a worker thread, this (main) thread runs a GLib
main loop that keeps our own GTK window painting and GIMP's progress bar pulsing. The insert that follows
keeps them going too (`Steps`): between its GIMP calls the main loop runs what is due, and its pure-Python
parts run on a thread while the loop turns.

Events from the core's listener arrive on the worker thread; `GLib.idle_add` hands them to the main loop,
the only thread that may call `Gimp.*`, the PDB or GTK (GIMP's PDB is not thread-safe:
gitlab.gnome.org/GNOME/gimp/-/issues/7370). Blocking on the network in the main thread would make the
window manager call the plug-in "not responding" (thndrbrrr/gimp-stable-boy#6).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from gi.repository import GLib
from gptedit.engine import EditJob, start_in_thread
from gptedit.models import JobEvent

TICK_MS = 150


class Pending:
    """A pure-Python computation started on a thread (`Steps.start`); `result()` returns its value or
    raises its exception, on the main thread."""

    def __init__(self, fn: Callable, args: tuple):
        self._value, self._error = None, None
        self.done = threading.Event()
        self._thread = threading.Thread(
            target=self._body, args=(fn, args), daemon=True, name="gptedit-insert"
        )
        self._thread.start()

    def _body(self, fn, args) -> None:
        try:
            self._value = fn(*args)
        except BaseException as exc:  # handed to the main thread by result()
            self._error = exc
        finally:
            self.done.set()

    def wait(self) -> None:
        self._thread.join()

    def result(self):
        self.wait()
        if self._error is not None:
            raise self._error
        return self._value


class Steps:
    """The insert's steps, told to the progress views. This plain version (scripts without views, tests)
    only runs them; `WorkerWait` keeps the views alive between and during them."""

    def step(self, text: str) -> None:
        """A new step begins (`text` says what it does, for people)."""

    def breathe(self) -> None:
        """Between two GIMP calls: let the main loop run whatever is due (ticks, redraws)."""

    def start(self, fn: Callable, *args) -> Pending:
        """Start pure-Python work (no Gimp, GTK or PDB call in it) on a thread; its `result()` is waited
        for with the main loop running."""
        return Pending(fn, args)

    def compute(self, fn: Callable, *args):
        """`start` and `wait` in one."""
        return self.wait(self.start(fn, *args))

    def wait(self, pending: Pending):
        return pending.result()


NO_STEPS = Steps()


class WorkerWait(Steps):
    """`run(work)` starts `work(edit_job)` on a worker thread and returns the finished `EditJob`; then, inside
    `ticking()`, it serves as the insert's `Steps`.

    on_event(JobEvent), on_tick(elapsed_seconds) and on_step(text) are called on the main thread."""

    def __init__(
        self,
        on_event: Callable[[JobEvent], None] | None = None,
        on_tick: Callable[[float], None] | None = None,
        on_step: Callable[[str], None] | None = None,
    ):
        self.on_event = on_event or (lambda e: None)
        self.on_tick = on_tick or (lambda t: None)
        self.on_step = on_step or (lambda text: None)
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

    def _tick(self) -> None:
        try:
            self.on_tick(time.monotonic() - self._started)
        except Exception:  # a broken progress display must never lose the job
            pass

    def run(self, work: Callable[[EditJob], object]) -> EditJob:
        self._started = time.monotonic()
        loop = GLib.MainLoop()
        self.job = start_in_thread(work, name="gptedit-gimp-job")

        def tick() -> bool:
            self._tick()
            if self.job.done:
                loop.quit()
                return False
            return True

        GLib.timeout_add(TICK_MS, tick)
        loop.run()
        # Events the worker queued just before it finished: deliver them so the window shows the end state.
        self.breathe()
        return self.job

    # --- the insert's Steps ---------------------------------------------------------------------------------
    @contextmanager
    def ticking(self) -> Iterator[WorkerWait]:
        """While inside: the views keep ticking on the same clock as during the wait, whenever the main loop
        gets to run (between the insert's GIMP calls, and all through its threaded parts)."""
        source = GLib.timeout_add(TICK_MS, lambda: (self._tick(), True)[1])
        try:
            yield self
        finally:
            GLib.source_remove(source)

    def step(self, text: str) -> None:
        try:
            self.on_step(text)
        except Exception:  # a broken progress display must never stop the insert of a paid result
            pass
        self.breathe()

    def breathe(self) -> None:
        context = GLib.MainContext.default()
        while context.pending():
            context.iteration(False)

    def wait(self, pending: Pending):
        if not pending.done.is_set():
            loop = GLib.MainLoop()

            def check() -> bool:
                if pending.done.is_set():
                    loop.quit()
                    return False
                return True

            # polled rather than signalled from the thread: a quit queued from there could be taken by an
            # inner main loop (a dialog) instead of this one
            GLib.timeout_add(20, check)
            loop.run()
        return pending.result()
