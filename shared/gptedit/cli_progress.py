"""Progress lines for the command line: one updating line on a terminal, plain lines in logs."""

from __future__ import annotations

import sys
import threading
import time

from .models import EventKind, JobEvent


class Progress:
    """A job listener. Thread-safe: batch workers share one."""

    def __init__(self, quiet: bool = False, stream=None, prefix: str = ""):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.prefix = prefix
        self._lock = threading.Lock()
        self._open = False
        self._last_plain = 0.0

    def __call__(self, event: JobEvent) -> None:
        if self.quiet:
            return
        if event.kind is EventKind.UPLOAD and event.progress is not None:
            text = f"uploading {event.progress * 100:3.0f}%"
        elif event.kind is EventKind.PARTIAL:
            text = f"preview {event.partial_index + 1 if event.partial_index is not None else ''} received"
        else:
            text = event.message or event.state.value
        line = f"{self.prefix}[{event.elapsed:6.1f}s] {event.state.value:<10} {text}"
        with self._lock:
            if self.tty:
                self.stream.write("\r\033[K" + line)
                self._open = True
            elif (
                event.kind not in (EventKind.PROGRESS, EventKind.UPLOAD)
                or time.monotonic() - self._last_plain > 5
            ):
                # Logs get every state change but at most one "still waiting" line every 5 s.
                self.stream.write(line + "\n")
                self._last_plain = time.monotonic()
            self.stream.flush()

    def line(self, text: str) -> None:
        if self.quiet:
            return
        with self._lock:
            if self._open:
                self.stream.write("\n")
                self._open = False
            self.stream.write(self.prefix + text + "\n")
            self.stream.flush()

    def finish(self) -> None:
        with self._lock:
            if self._open:
                self.stream.write("\n")
                self._open = False
                self.stream.flush()
