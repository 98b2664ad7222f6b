"""Run a function on a worker thread and get its answer back on the GUI thread.

A QObject created on the GUI thread owns a signal; the worker emits it, and because the emitting thread is not
the receiver's, Qt queues the call into the GUI thread's event loop (verified in Krita, docs/hosts.md "Krita:
threads"). Used for short background chores (ledger reads, decoding saved results, thumbnails); whole edits
use session.KritaJob, which follows the same pattern."""

from __future__ import annotations

import threading
from collections.abc import Callable

from gptedit.errors import GptEditError

from .qt import QUEUED, QObject, pyqtSignal

_PENDING: set = set()  # keeps each bridge alive until its answer has been delivered


class _Bridge(QObject):
    answered = pyqtSignal(object, str)

    def __init__(self, on_done: Callable[[object, str], None]):
        super().__init__()
        self.on_done = on_done
        self.answered.connect(self._deliver, QUEUED)

    def _deliver(self, value, error: str) -> None:
        _PENDING.discard(self)
        self.on_done(value, error)


def run_in_thread(
    fn: Callable[[], object], on_done: Callable[[object, str], None], name: str = "gptedit"
) -> None:
    """fn() on a new daemon thread; on_done(value, "") or on_done(None, message) on the GUI thread."""
    bridge = _Bridge(on_done)
    _PENDING.add(bridge)

    def body() -> None:
        try:
            value, error = fn(), ""
        except GptEditError as exc:
            value, error = None, exc.message
        except Exception as exc:  # noqa: BLE001 - shown as a message, never a traceback dialog
            value, error = None, f"Unexpected problem: {exc!r}"
        bridge.answered.emit(value, error)

    threading.Thread(target=body, name=name, daemon=True).start()
