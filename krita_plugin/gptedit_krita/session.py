"""One edit as the GUI sees it: a QObject on the GUI thread driving a worker thread.

The worker (worker.py) reports through Qt signals emitted from its own thread; Qt delivers them queued to
this object on the GUI thread, so every krita and widget call below runs where it must. The docker, the
scriptable API and the tests all go through `KritaJob`.
"""

from __future__ import annotations

import time
from enum import Enum

from gptedit import engine
from gptedit.ledger import Ledger
from gptedit.models import EventKind, JobEvent, JobState
from gptedit.settings import Settings

from . import worker
from .bridge import run_in_thread
from .canvas_insert import Inserter, InsertSpec
from .canvas_read import Snapshot
from .qt import KEEP_ASPECT, QUEUED, SMOOTH, QEventLoop, QImage, QObject, QTimer, exec_loop, pyqtSignal

#: every job started in this Krita session, newest last (the docker's job list; keeps them alive)
JOBS: list[KritaJob] = []
PREVIEW_SIDE = 256


class KritaJobState(str, Enum):
    """The core's `JobState`, plus the two steps only the plugin has: reading the pixels before the job is
    in the ledger, and adding the layer after the result is fetched. Compares equal to its text."""

    PREPARING = "preparing"
    QUEUED = JobState.QUEUED.value
    SUBMITTING = JobState.SUBMITTING.value
    SUBMITTED = JobState.SUBMITTED.value
    RUNNING = JobState.RUNNING.value
    FETCHED = JobState.FETCHED.value
    INSERTING = "inserting"
    INSERTED = JobState.INSERTED.value
    FAILED = JobState.FAILED.value
    CANCELLED = JobState.CANCELLED.value
    UNKNOWN = JobState.UNKNOWN.value

    def __str__(self) -> str:
        return self.value

    @classmethod
    def of(cls, state: JobState) -> KritaJobState:
        return cls(state.value)

    @property
    def ended_well(self) -> bool:
        """Ended with a result: inserted, or fetched and kept for History ▸ Insert again."""
        return self in (KritaJobState.INSERTED, KritaJobState.FETCHED)


def _guarded(method):
    """A slot that must never raise into Qt (Krita would show a modal traceback dialog): an unexpected
    error ends the job with a message in the docker instead."""

    def wrapper(self, *args):
        try:
            return method(self, *args)
        except Exception as exc:  # noqa: BLE001 - shown as text, the job ends cleanly
            if not self.done:
                self._end(KritaJobState.FAILED, f"Unexpected problem in the plugin: {exc!r}")

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


def document_open(doc) -> bool:
    from krita import Krita

    try:
        return any(d == doc for d in Krita.instance().documents())
    except RuntimeError:  # the C++ object is gone
        return False


class KritaJob(QObject):
    """A running or finished edit. Read `.state`, `.message`, `.layer`; call `.cancel()` or `.wait()`."""

    changed = pyqtSignal()
    finished = pyqtSignal()
    _event = pyqtSignal(object)
    _outcome = pyqtSignal(object)
    _preview = pyqtSignal(object)

    def __init__(
        self,
        doc,
        snapshot: Snapshot,
        settings: Settings,
        prompt: str,
        *,
        above=None,
        insert: bool = True,
        incremental: bool = True,
    ):
        super().__init__()
        self.doc = doc
        self.snapshot = snapshot
        self.settings = settings
        self.prompt = prompt
        self.above = above
        self.insert = insert
        self.incremental = incremental
        self.state = KritaJobState.PREPARING
        self.message = "Preparing the picture"
        self.progress: float | None = None
        self.job_id = ""
        self.started = time.monotonic()
        self.ended: float | None = None
        self.layer = None
        self.record = None
        self.error = ""
        self.cost: float | None = None
        self.preview: QImage | None = None
        self.result_images: list[bytes] = []
        #: what the seam correction did to each variation (gptedit.seam.correct.Correction)
        self.seam: list = []
        self._edit_job: engine.EditJob | None = None
        #: time.monotonic() of the GUI-thread moments of the insert ("outcome": the result reached the GUI
        #: thread, "added": the layer is in the document, "ended"), and the insert's own step timings; the
        #: benchmark prints them (tests/bench/krita_bench.py)
        self.marks: dict[str, float] = {}
        self.inserter: Inserter | None = None
        self.worker_timings: list[tuple[str, float, float]] = []
        self._event.connect(self._on_event, QUEUED)
        self._outcome.connect(self._on_outcome, QUEUED)
        self._preview.connect(self._on_preview, QUEUED)

    # --- public --------------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.ended is not None

    @property
    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    @property
    def n(self) -> int:
        return self.settings.n

    def start(self) -> KritaJob:
        JOBS.append(self)
        self._edit_job = engine.start_in_thread(self._work, name="gptedit-krita-job")
        self.changed.emit()
        return self

    def cancel(self) -> None:
        if self._edit_job is not None and not self.done:
            self.message = "Cancelling…"
            self._edit_job.cancel()
            self.changed.emit()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the end while Krita stays responsive (events are pumped). True when finished."""
        deadline = None if timeout is None else time.monotonic() + timeout
        loop = QEventLoop()
        while not self.done:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            QTimer.singleShot(20, loop.quit)
            exec_loop(loop)
        return True

    # --- worker thread -------------------------------------------------------------------------------
    def _work(self, edit_job: engine.EditJob):
        outcome = worker.run_job(
            self.snapshot, self.settings, self.prompt, listener=self._listen, cancel=edit_job.cancel_token
        )
        self._outcome.emit(outcome)
        return outcome.record

    def _listen(self, event: JobEvent) -> None:
        if event.kind is EventKind.PARTIAL and event.partial:
            img = QImage.fromData(event.partial)
            if not img.isNull():
                self._preview.emit(img.scaled(PREVIEW_SIDE, PREVIEW_SIDE, KEEP_ASPECT, SMOOTH))
            event.partial = None  # the bytes stay on this thread
        self._event.emit(event)

    # --- GUI thread ----------------------------------------------------------------------------------
    @_guarded
    def _on_event(self, event: JobEvent) -> None:
        if event.job_id:
            self.job_id = event.job_id
        if self.done:
            return
        self.state = KritaJobState.of(event.state)
        if event.message:
            self.message = event.message
        if event.progress is not None:
            self.progress = event.progress
        self.changed.emit()

    @_guarded
    def _on_preview(self, img) -> None:
        self.preview = img
        self.changed.emit()

    @_guarded
    def _on_outcome(self, outcome: worker.Outcome) -> None:
        self.marks["outcome"] = time.monotonic()
        self.worker_timings = outcome.timings
        self.record = outcome.record
        if outcome.record is not None:
            self.job_id = outcome.record.id
            self.cost = outcome.record.cost
        if outcome.error or not outcome.images:
            state = KritaJobState.FAILED
            if outcome.record is not None and outcome.record.state is not JobState.FETCHED:
                state = KritaJobState.of(outcome.record.state)
            self._end(state, outcome.error or "No result.")
            return
        self.result_images = outcome.images
        self.seam = outcome.seam
        if not self.insert:
            self._end(KritaJobState.FETCHED, "Result saved; not inserted (insert=False).")
            return
        if not document_open(self.doc):
            self._end(
                KritaJobState.FETCHED,
                "The document was closed; the result is saved. Use History ▸ Insert again.",
            )
            return
        self.state = KritaJobState.INSERTING
        self.message = "Adding the layer"
        self.changed.emit()
        box = self.snapshot.plan.context
        mask = outcome.mask if outcome.mask is not None else self.snapshot.mask
        spec = InsertSpec(
            self.doc,
            box,
            outcome.images,
            self.prompt,
            mask,
            self.above,
            native=outcome.native,
            native_color=outcome.native_color,
        )
        inserter = self.inserter = Inserter(spec, self._on_inserted)  # kept alive until its timer is done
        if self.incremental:
            inserter.start()
        else:
            inserter.run_now()

    @_guarded
    def _on_inserted(self, node, error: str) -> None:
        self.marks["added"] = time.monotonic()
        if error:
            self._end(KritaJobState.FETCHED, error + " The result is saved; try History ▸ Insert again.")
            return
        self.layer = node
        self.changed.emit()  # the layer is in the document; the job ends once the ledger has it
        cost = f" (${self.cost:.3f})" if self.cost is not None else ""
        done = f"Added “{node.name()}”{cost}."
        seam = {"variations": [c.to_json() for c in self.seam]} if self.seam else None
        if self.seam:
            done += " " + self.seam[0].report.summary() + "."
        # The ledger write (sqlite, fsync) runs off the GUI thread; the job ends once it is recorded, so
        # whoever reacts to `finished` (the History tab) already sees it inserted.
        run_in_thread(
            lambda: Ledger().update(
                self.job_id,
                state=JobState.INSERTED,
                seam=seam,
                message=f"inserted into {self.snapshot.doc_name}",
            ),
            lambda _value, _error: self._end(KritaJobState.INSERTED, done),
            name="gptedit-ledger",
        )

    def _end(self, state: KritaJobState, message: str) -> None:
        self.state = state
        self.message = message
        if not state.ended_well:
            self.error = message
        self.ended = self.marks["ended"] = time.monotonic()
        self.changed.emit()
        self.finished.emit()
