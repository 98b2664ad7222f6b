"""Test driver that runs ONE scenario inside a real Krita.

For gptedit's real-host tests; not part of the product.

The harness (tests/hosts/hostenv_krita.py) installs this plugin into every test profile and starts Krita
with these variables:
  GPTEDIT_DRIVER_SCENARIO   a Python file defining run(ctx)
  GPTEDIT_DRIVER_REPORT     where the JSON report goes (rewritten atomically at every change)
  GPTEDIT_DRIVER_PARAMS     optional JSON file, exposed as ctx.params
  GPTEDIT_DRIVER_WATCHDOG   seconds until the run is declared hung
Without GPTEDIT_DRIVER_SCENARIO the plugin does nothing.

Report statuses: "running" (scenario started), "ok" (ctx.done()), "failed" (ctx.fail(), or an exception
raised by the scenario's own code), "error" (an unhandled exception anywhere else in Krita's Python, e.g.
in the plugin under test: Krita would open a modal dialog and hang, so the driver records it and exits),
"watchdog" (nothing finished in time; the report holds every thread's stack).
"""

from __future__ import annotations

import faulthandler
import importlib.util
import json
import os
import sys
import threading
import time
import traceback

from krita import Extension, Krita

# Krita has imported its own binding before any plugin (PyQt5 in Krita 5, PyQt6 in Krita 6, which refuses
# the other one): use whichever is loaded.
if "PyQt6.QtCore" in sys.modules:
    from PyQt6.QtCore import (
        PYQT_VERSION_STR,
        QT_VERSION_STR,
        QEventLoop,
        QObject,
        QTimer,
        pyqtSignal,
        pyqtSlot,
    )
    from PyQt6.QtWidgets import QMenu
else:
    from PyQt5.QtCore import (
        PYQT_VERSION_STR,
        QT_VERSION_STR,
        QEventLoop,
        QObject,
        QTimer,
        pyqtSignal,
        pyqtSlot,
    )
    from PyQt5.QtWidgets import QMenu

SCENARIO = os.environ.get("GPTEDIT_DRIVER_SCENARIO")
REPORT = os.environ.get("GPTEDIT_DRIVER_REPORT")
PARAMS = os.environ.get("GPTEDIT_DRIVER_PARAMS")
# The scenario's budget, counted from its start; Krita's own start (plugin load to a shown main window) has
# its separate budget, so a slow start never eats into the scenario's time.
WATCHDOG_S = float(os.environ.get("GPTEDIT_DRIVER_WATCHDOG", "60"))
START_S = float(os.environ.get("GPTEDIT_DRIVER_START", "180"))
# After ctx.done() Krita normally quits within a second or two; a quit that hangs must not hold a test.
QUIT_GRACE_S = 20.0
T0 = time.monotonic()


class _Report:
    """The JSON report, written atomically so the harness never reads half a file."""

    def __init__(self, path: str):
        self.path = path
        self.lock = threading.RLock()
        self.final = False
        self.doc = {"status": "starting", "data": {}, "log": [], "thread_errors": [], "host": _host_info()}
        self.write()

    def write(self) -> None:
        with self.lock:
            tmp = f"{self.path}.tmp{os.getpid()}"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.doc, f, indent=1, default=repr)
            os.replace(tmp, self.path)

    def update(self, **fields) -> None:
        with self.lock:
            if not self.final:
                self.doc.update(fields)
                self.write()

    def finish(self, status: str, **fields) -> bool:
        """Record the final status once; later finishes (e.g. a watchdog racing done()) are ignored."""
        with self.lock:
            if self.final:
                return False
            self.doc.update(fields, status=status, elapsed_s=round(time.monotonic() - T0, 3))
            self.final = True
            self.write()
            return True


def _host_info() -> dict:
    return {
        "python": sys.version.split()[0],
        "qt": QT_VERSION_STR,
        "pyqt": PYQT_VERSION_STR,
        "krita": Krita.instance().version(),
        "pid": os.getpid(),
    }


class _Invoker(QObject):
    """Runs callables on the GUI thread: a signal emitted from a worker thread is delivered queued."""

    call = pyqtSignal(object)

    def __init__(self):
        super().__init__()
        self.call.connect(self._run)

    @pyqtSlot(object)
    def _run(self, fn) -> None:
        fn()


class Ticker:
    """Counts ticks of a GUI-thread QTimer; max_gap_ms shows how long the GUI thread was ever blocked."""

    def __init__(self, interval_ms: int):
        self.interval_ms = interval_ms
        self.count = 0
        self.max_gap_ms = 0.0
        self._last = time.monotonic()
        self._timer = QTimer()
        self._timer.timeout.connect(self._tick)
        self._timer.start(interval_ms)

    def _tick(self) -> None:
        now = time.monotonic()
        self.max_gap_ms = max(self.max_gap_ms, (now - self._last) * 1000.0)
        self._last = now
        self.count += 1

    def stop(self) -> dict:
        self._timer.stop()
        return {"ticks": self.count, "max_gap_ms": round(self.max_gap_ms, 1), "interval_ms": self.interval_ms}


class Context:
    """What a scenario's run(ctx) gets."""

    def __init__(self, driver: _Driver):
        self._driver = driver
        self.krita = Krita.instance()
        self.params: dict = {}
        if PARAMS:
            with open(PARAMS, encoding="utf-8") as f:
                self.params = json.load(f)

    # -- results
    def report(self, data: dict | None = None, **fields) -> None:
        """Merge values into report["data"] (written at once, so a killed run keeps what it had)."""
        with self._driver.report.lock:
            self._driver.report.doc["data"].update(data or {}, **fields)
            self._driver.report.write()

    def log(self, message: str) -> None:
        with self._driver.report.lock:
            self._driver.report.doc["log"].append([round(time.monotonic() - T0, 3), str(message)])
            self._driver.report.write()

    def done(self, data: dict | None = None, **fields) -> None:
        """Finish with status "ok" and quit Krita. Safe to call from any thread."""
        if data or fields:
            self.report(data, **fields)
        self._driver.finish("ok")

    def fail(self, message: str) -> None:
        self._driver.finish("failed", error=message)

    # -- time without blocking the GUI thread
    def wait_for(self, condition, timeout: float = 30.0, interval_ms: int = 20) -> bool:
        """Spin a nested event loop until condition() is true (GUI stays live); False on timeout."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() >= deadline:
                return False
            self.process_events(interval_ms)
        return True

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.process_events(min(50, max(1, int((deadline - time.monotonic()) * 1000))))

    @staticmethod
    def process_events(ms: int = 20) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()  # exec_() is gone in PyQt6; PyQt5 has both

    def later(self, ms: int, fn) -> None:
        """Run fn on the GUI thread after ms; an exception in it fails the scenario."""
        QTimer.singleShot(ms, self._driver.guarded(fn))

    def call_in_gui(self, fn) -> None:
        """Run fn on the GUI thread soon (callable from worker threads)."""
        self._driver.invoker.call.emit(self._driver.guarded(fn))

    def ticker(self, interval_ms: int = 20) -> Ticker:
        return Ticker(interval_ms)

    # -- helpers for common checks
    @property
    def window(self):
        return self.krita.activeWindow()

    def new_document(self, width: int, height: int, name: str = "test"):
        """An RGBA/U8 document shown in the main window (so actions that need an active view work)."""
        doc = self.krita.createDocument(width, height, name, "RGBA", "U8", "", 72.0)
        self.window.addView(doc)
        self.krita.setActiveDocument(doc)
        # Wait for the view's current layer too: until then Krita keeps node-dependent actions disabled, and
        # Qt 6 ignores trigger() on a disabled action (Qt 5 still fired it).
        self.wait_for(
            lambda: self.krita.activeDocument() is not None and doc.activeNode() is not None, timeout=10
        )
        self.process_events(50)
        return doc

    def menu_path(self, action_name: str) -> list[str] | None:
        """Titles of the menus leading to the action with this objectName, e.g. ['Tools', 'Scripts']."""
        bar = self.window.qwindow().menuBar()

        def walk(menu_actions, trail):
            for act in menu_actions:
                if act.objectName() == action_name:
                    return trail
                sub = act.menu()
                if isinstance(sub, QMenu):
                    found = walk(sub.actions(), [*trail, act.text().replace("&", "")])
                    if found is not None:
                        return found
            return None

        return walk(bar.actions(), [])

    def user_plugins(self) -> list[str]:
        """Top-level modules imported from the profile's pykrita folder (the enabled plugins that loaded)."""
        folder = os.path.join(os.environ.get("XDG_DATA_HOME", ""), "krita", "pykrita") + os.sep
        names = set()
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None) or ""
            if "." not in name and file.startswith(folder):
                names.add(name)
        return sorted(names)


class _Driver:
    def __init__(self):
        self.report = _Report(REPORT)
        self.invoker = _Invoker()
        self.ctx: Context | None = None
        self._dog: threading.Timer | None = None
        self._poll = QTimer()
        self._poll.timeout.connect(self.guarded(self._wait_for_window))

    def arm(self) -> None:
        faulthandler.enable()  # a segfault still leaves a Python stack on stderr
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook
        self._arm_watchdog(START_S, "Krita's main window did not show")
        self._poll.start(50)

    def _arm_watchdog(self, seconds: float, what: str) -> None:
        if self._dog is not None:
            self._dog.cancel()
        self._dog = threading.Timer(seconds, self._watchdog, args=(f"{what} within {seconds:.0f} s",))
        self._dog.daemon = True
        self._dog.start()

    def _wait_for_window(self) -> None:
        window = Krita.instance().activeWindow()
        if window is None or not window.qwindow().isVisible():
            return
        self._poll.stop()
        self.report.update(status="running", window_after_s=round(time.monotonic() - T0, 3))
        QTimer.singleShot(100, self.guarded(self._start))

    def _start(self) -> None:
        spec = importlib.util.spec_from_file_location("gptedit_scenario", SCENARIO)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        self.ctx = Context(self)
        self._arm_watchdog(WATCHDOG_S, "no result")
        module.run(self.ctx)

    def guarded(self, fn):
        def call(*args):
            try:
                return fn(*args)
            except BaseException as exc:  # the scenario's own failure, reported with its traceback
                self.finish("failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
            return None

        return call

    def finish(self, status: str, **fields) -> None:
        if not self.report.finish(status, **fields):
            return
        if threading.current_thread() is threading.main_thread():
            QTimer.singleShot(0, self._quit)
        else:
            self.invoker.call.emit(self._quit)
        killer = threading.Timer(QUIT_GRACE_S, lambda: os._exit(0 if status == "ok" else 5))
        killer.daemon = True
        killer.start()

    def _quit(self) -> None:
        app = Krita.instance()
        # A modified document would make file_quit ask "save changes?" in a modal dialog.
        for doc in list(app.documents()):
            try:
                doc.setModified(False)
                doc.close()
            except Exception:
                pass
        # QApplication.quit() segfaults Krita on shutdown; its own quit action does not (measured).
        app.action("file_quit").trigger()

    def _excepthook(self, etype, value, tb) -> None:
        text = "".join(traceback.format_exception(etype, value, tb))
        sys.stderr.write(text)
        self.report.finish("error", error=f"{etype.__name__}: {value}", traceback=text)
        os._exit(3)

    def _thread_excepthook(self, args) -> None:
        text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        sys.stderr.write(text)
        with self.report.lock:
            self.report.doc["thread_errors"].append(
                {"thread": getattr(args.thread, "name", "?"), "traceback": text}
            )
            self.report.write()

    def _watchdog(self, error: str) -> None:
        frames = sys._current_frames()
        names = {t.ident: t.name for t in threading.enumerate()}
        stacks = {
            f"{names.get(ident, ident)}": "".join(traceback.format_stack(frame))
            for ident, frame in frames.items()
        }
        if self.report.finish("watchdog", error=error, stacks=stacks):
            os._exit(4)


class _DriverExtension(Extension):
    def setup(self):
        pass

    def createActions(self, window):
        pass


if SCENARIO and REPORT:
    Krita.instance().addExtension(_DriverExtension(Krita.instance()))
    _driver = _Driver()
    _driver.arm()
