"""Stands in for the person at the GIMP plug-in's dialogs and windows, from the test side (never shipped).

Real GIMP is driven from batch code whose procedure call blocks until the plug-in returns, and under Xvfb
nobody clicks. So the test writes a small JSON file (GPTEDIT_GIMP_TEST_HOOK_FILE) before a call, and this
module, loaded into the plug-in's own Python process, acts on it: answer a dialog, type a key, press Test
connection, press Cancel after some seconds, delete the edited layer or close the image window while the job
runs, shorten how long the result lingers in the progress window, slow the insert's comparison down. The
progress window's own measurements (timer ticks, the insert's steps) and the main-loop turns of each insert
step are written back, and the sandbox's hold on a job can be taken off once the window has ticked enough,
so a test can tell by counting whether it kept responding.

How it gets into the plug-in: gimp_harness.py copies this file and a `.pth` file that imports it into a
user site-packages folder and points PYTHONUSERBASE there; GIMP hands its environment to the plug-in, whose
Python then imports this module at start-up. It installs an import hook that wraps a few functions of the
plug-in's modules right after they are loaded; the plug-in's code itself knows nothing about tests. With no
hook file it does nothing; in any other Python process (GIMP's other plug-ins) it only adds the hook.
"""

from __future__ import annotations

import importlib.abc
import json
import os
import sys

HOOK_FILE = "GPTEDIT_GIMP_TEST_HOOK_FILE"


def hooks() -> dict:
    path = os.environ.get(HOOK_FILE)
    if not path or not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(**data) -> None:
    """Append one JSON line to the file the hooks name under "report" (if any)."""
    path = hooks().get("report")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(data) + "\n")


def screenshot(widget, name: str) -> None:
    """Save a PNG of a window into the folder the hooks name under "screenshots" (to look at the layout)."""
    folder = hooks().get("screenshots")
    window = widget.get_window() if widget is not None else None
    if not folder or window is None:
        return
    from gi.repository import Gdk

    pix = Gdk.pixbuf_get_from_window(window, 0, 0, window.get_width(), window.get_height())
    if pix is not None:
        pix.savev(os.path.join(folder, name + ".png"), "png", [], [])


def _later(ms: int, fn) -> None:
    from gi.repository import GLib

    GLib.timeout_add(ms, lambda: (fn(), False)[1])


def _widgets(widget):
    yield widget
    if hasattr(widget, "get_children"):
        for child in widget.get_children():
            yield from _widgets(child)


# --- the edit and settings dialogs (GimpUi.ProcedureDialog) ---------------------------------------------


def _patch_dialog(module) -> None:
    from gi.repository import Gtk

    procedure_dialog = module.GimpUi.ProcedureDialog
    original_run = procedure_dialog.run

    def answer(dialog, wanted) -> None:
        # the choices a person would make; the dialog's cost line follows them
        config = dialog.get_property("config")
        for name, value in (wanted.get("set") or {}).items():
            config.set_property(name, value)
        if wanted.get("dialog") in ("ok", "cancel"):
            cost = next(
                (
                    w
                    for w in _widgets(dialog)
                    if isinstance(w, Gtk.Label)
                    and w.get_text().startswith(("Estimated cost", "Cannot estimate"))
                ),
                None,
            )
            if cost is not None:
                _later(600, lambda: record(dialog_summary=cost.get_text()))
            _later(650, lambda: screenshot(dialog, "dialog-" + dialog.get_title().split()[0].lower()))
            response = Gtk.ResponseType.OK if wanted["dialog"] == "ok" else Gtk.ResponseType.CANCEL
            _later(700, lambda: dialog.response(response))

    def run(dialog):
        wanted = hooks()
        # what a person would type into the settings dialog's hidden key field
        if wanted.get("type_key"):
            for widget in _widgets(dialog):
                if isinstance(widget, Gtk.Entry) and not widget.get_visibility():
                    widget.set_text(wanted["type_key"])
        button = next(
            (
                w
                for w in _widgets(dialog)
                if isinstance(w, Gtk.Button) and w.get_label() == "_Test connection"
            ),
            None,
        )
        if wanted.get("test_connection") and button is not None:
            # press Test connection, report what it says once the check is done, then answer the dialog
            siblings = button.get_parent().get_children()
            result = siblings[siblings.index(button) + 1]

            def finished() -> None:
                record(connection_test=result.get_text())
                answer(dialog, wanted)

            result.connect("notify::label", lambda label, _p: finished() if button.get_sensitive() else None)
            _later(300, button.clicked)
        else:
            answer(dialog, wanted)
        return original_run(dialog)

    procedure_dialog.run = run


# --- the Recent results dialog (a plain Gtk.Dialog) -----------------------------------------------------


def _patch_recent_dialog(module) -> None:
    from gi.repository import Gtk

    original_run = Gtk.Dialog.run

    def run(dialog):
        answer = hooks().get("dialog")
        if dialog.get_title() == "Recent GPT Image results" and answer in ("ok", "cancel"):
            response = module.INSERT if answer == "ok" else Gtk.ResponseType.CANCEL
            _later(700, lambda: dialog.response(response))
        return original_run(dialog)

    Gtk.Dialog.run = run


#: when the progress window was told the result (time.monotonic())
_shown: list[float] = []


# --- the progress window ----------------------------------------------------------------------------------


def _release_after_ticks(window, ticks: int, url: str) -> None:
    """Watch the progress window's tick count from the same main loop; at `ticks`, record it and take the
    sandbox's hold off (POST to its control endpoint on loopback). A main loop that stalled for good would
    never get here, and the held job would never end."""
    import urllib.request

    from gi.repository import GLib

    def check() -> bool:
        if window.ticks < ticks:
            return True
        record(window_ticks_held=window.ticks)
        request = urllib.request.Request(
            url, data=b'{"hold": null}', headers={"Content-Type": "application/json"}, method="POST"
        )
        urllib.request.urlopen(request, timeout=10).close()
        return False

    GLib.timeout_add(50, check)


def _patch_progress_window(module) -> None:
    window_class = module.ProgressWindow
    original_init, original_close = window_class.__init__, window_class.close
    original_show_result, linger = window_class.show_result, module.RESULT_LINGER_S

    def __init__(self, *args, **kw):
        original_init(self, *args, **kw)
        after = hooks().get("cancel_after")
        if after:  # press Cancel once, after `cancel_after` seconds
            _later(int(float(after) * 1000), self.button.clicked)
        ticks = hooks().get("release_after_ticks")
        if ticks:  # the sandbox holds the job; let it end once the window's own timer has ticked that often
            _release_after_ticks(self, int(ticks), hooks()["release_url"])

    def close(self):
        screenshot(self.window, "progress-window")
        record(
            window_ticks=self.ticks,
            window_max_gap=round(self.max_gap, 3),
            window_partials=self.partials,
            window_cost=self.cost.get_text(),
            window_status=self.status.get_text(),
            window_steps=self.steps,
            window_step_ticks=self.step_ticks,
        )
        original_close(self)

    def show_result(self, text: str, warning: str = ""):
        _shown.append(__import__("time").monotonic())  # the insert's last step ends here (see _patch_wait)
        # how long the result lingers (a person reads it; a test need not wait), and what it said
        module.RESULT_LINGER_S = float(hooks().get("result_linger", linger))
        record(window_result=text, window_warning=warning)
        _later(300, lambda: screenshot(self.window, "progress-window-result"))
        return original_show_result(self, text, warning)

    window_class.__init__ = __init__
    window_class.close = close
    window_class.show_result = show_result


# --- the edit procedure: what the user does while the job runs ------------------------------------------


def _patch_run_edit(module) -> None:
    """When the job has finished waiting without an error, before the result is checked and inserted: delete
    the edited layer, or close the image window the edit was started from.

    (Closing the image itself cannot be simulated, and cannot be detected either: GIMP keeps an image alive,
    valid and listed while a running procedure holds it as an argument, measured on 3.0 and 3.2.)"""
    from gi.repository import Gimp

    seen: dict = {}
    original_snapshot = module.take_snapshot
    original_run = module.WorkerWait.run

    def take_snapshot(image, layer, *args, **kw):
        seen.update(image=image, layer=layer, display=Gimp.default_display())
        return original_snapshot(image, layer, *args, **kw)

    def run(self, work):
        job = original_run(self, work)
        if not seen:
            return job  # a resumed job (Recent results) has no edit of its own here
        image, layer, display = seen.pop("image"), seen.pop("layer"), seen.pop("display")
        if job.error is not None:
            return job
        wanted = hooks()
        if wanted.get("delete_layer"):
            image.remove_layer(layer)
        if wanted.get("close_display"):
            record(display_at_start=display is not None and display.is_valid())
            if display is not None:
                display.delete()  # what closing the image window does
        return job

    module.take_snapshot = take_snapshot
    module.WorkerWait.run = run


# --- the insert's steps: how often the main loop turned during each ---------------------------------------


def _patch_wait(module) -> None:
    """Count the main-loop turns (`breathe`) of each insert step and time it (for the bench), and record them
    when the insert ends (the last step runs until the result is shown in the window). With
    "slow_compare" in the hooks, the comparison of the answer with the picture (on its thread) first
    sleeps that many seconds, as on a slow machine: the window must keep ticking all through it."""
    import contextlib
    import time

    steps_class = module.WorkerWait
    original_step, original_breathe, original_ticking = (
        steps_class.step,
        steps_class.breathe,
        steps_class.ticking,
    )
    original_start = steps_class.start

    def step(self, text):
        now = time.monotonic()
        turns = self.__dict__.setdefault("test_turns", [])
        if turns:
            turns[-1][2] = round(now - turns[-1][2], 3)  # the step before ends: its length in seconds
        turns.append([text, 0, now])
        return original_step(self, text)

    def breathe(self):
        if self.__dict__.get("test_turns"):
            self.test_turns[-1][1] += 1
        return original_breathe(self)

    def start(self, fn, *args):
        delay = float(hooks().get("slow_compare", 0))
        if delay and getattr(fn, "__name__", "") == "compare":

            def slow(*a):
                time.sleep(delay)
                return fn(*a)

            return original_start(self, slow, *args)
        return original_start(self, fn, *args)

    @contextlib.contextmanager
    def ticking(self):
        with original_ticking(self) as steps:
            try:
                yield steps
            finally:
                turns = self.__dict__.get("test_turns", [])
                if turns:
                    # up to the result shown in the window (it then lingers), else to the insert's end
                    end = _shown[-1] if _shown and _shown[-1] > turns[-1][2] else time.monotonic()
                    turns[-1][2] = round(end - turns[-1][2], 3)
                record(insert_turns=turns)

    steps_class.step, steps_class.breathe, steps_class.ticking = step, breathe, ticking
    steps_class.start = start


# --- the seam correction's move: what it made, to compare with GIMP's own transform ------------------------


def _patch_seam_apply(module) -> None:
    """With "moved_dump" (a folder) in the hooks, each answer the seam correction moves is written there as
    it comes out of the move, before the colours are matched: its pixels (moved-N.rgba, R'G'B'A u8) and
    where it was stretched to and how long it took (moved-N.json), so the test can do the same with GIMP's
    own transform."""
    original_move = module.move

    def move(layer, box, corr, *args, **kwargs):
        started = __import__("time").monotonic()
        moved = original_move(layer, box, corr, *args, **kwargs)
        took = __import__("time").monotonic() - started
        folder = hooks().get("moved_dump")
        if folder:
            from gi.repository import Gegl

            n = len([f for f in os.listdir(folder) if f.endswith(".json")]) + 1
            rect = Gegl.Rectangle.new(0, 0, moved.get_width(), moved.get_height())
            data = moved.get_buffer().get(rect, 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.NONE)
            with open(os.path.join(folder, f"moved-{n}.rgba"), "wb") as fh:
                fh.write(bytes(data))
            sampler = module.SHARP if box.area <= module.SHARP_MAX_PIXELS else module.LARGE
            with open(os.path.join(folder, f"moved-{n}.json"), "w", encoding="utf-8") as fh:
                json.dump(
                    {
                        "box": [box.x, box.y, box.width, box.height],
                        "rect": list(corr.answer_rect()),
                        "sampler": sampler.value_nick,
                        "seconds": round(took, 3),
                    },
                    fh,
                )
        return moved

    module.move = move


PATCHES = {
    "gptedit_gimp.dialog": _patch_dialog,
    "gptedit_gimp.recent_dialog": _patch_recent_dialog,
    "gptedit_gimp.progress_window": _patch_progress_window,
    "gptedit_gimp.run_edit": _patch_run_edit,
    "gptedit_gimp.seam_apply": _patch_seam_apply,
    "gptedit_gimp.wait": _patch_wait,
}


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, loader, patch):
        self.loader, self.patch = loader, patch

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        self.patch(module)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name not in PATCHES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _PatchingLoader(spec.loader, PATCHES[name])
                return spec
        return None


if not any(isinstance(f, _Finder) for f in sys.meta_path):
    sys.meta_path.insert(0, _Finder())
