"""History from the shared job ledger, and start-up recovery.

Every result is a file written before anything else uses it (ledger.save_result), so it survives closing
the document and a Krita crash. The History tab lists finished jobs (prompt, provider, cost, time,
thumbnail) with *Insert again* (into the current document at the original place) and *Edit again* (the
result becomes the input of a new edit). At start-up, jobs a crash left unfinished are resumed
(`engine.sweep_orphans` + `engine.resume_job`) and the user is told in the docker.
"""

from __future__ import annotations

import dataclasses
import time

from gptedit import engine, recipe
from gptedit.errors import BadInput, GptEditError
from gptedit.geometry import Box
from gptedit.ledger import JobRecord, Ledger
from gptedit.models import JobState
from gptedit.seam import later

from . import colors, seam_apply, worker
from .bridge import run_in_thread
from .canvas_insert import Inserter, InsertSpec
from .canvas_read import Snapshot
from .qt import (
    IGNORE_ASPECT,
    KEEP_ASPECT,
    SMOOTH,
    USER_ROLE,
    QHBoxLayout,
    QIcon,
    QImage,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QObject,
    QPixmap,
    QPushButton,
    QSize,
    QVBoxLayout,
    QWidget,
    image_bytes,
    pyqtSignal,
)

THUMB = 64
LISTED = (JobState.FETCHED, JobState.INSERTED)


class _Notices(QObject):
    """Start-up news for whichever docker exists (or appears later)."""

    notice = pyqtSignal(str)

    def __init__(self):
        super().__init__()
        self.last = ""
        self.said: list[str] = []  # everything said this session, oldest first (a few lines per start)

    def say(self, text: str) -> None:
        self.last = text
        self.said.append(text)
        self.notice.emit(text)


NOTICES: _Notices | None = None


def notices() -> _Notices:
    global NOTICES
    if NOTICES is None:
        NOTICES = _Notices()
    return NOTICES


def record_box(record: JobRecord) -> Box:
    """Where the answer goes: the recorded context box (Krita's and GIMP's jobs), else the size of the
    picture that was sent, at the top-left (the command line's)."""
    if record.context.context_box is not None:
        return record.context.context_box
    first = (record.request.get("images") or [{}])[0]
    return Box(0, 0, int(first.get("width") or 1024), int(first.get("height") or 1024))


def describe(record: JobRecord) -> str:
    cost = (
        f"${record.cost:.3f}"
        if record.cost is not None
        else (f"~${record.estimate_high:.3f}" if record.estimate_high else "cost unknown")
    )
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created))
    doc = record.context.document_name
    return f"{record.prompt[:70]}\n{record.provider} · {cost} · {when}" + (f" · {doc}" if doc else "")


# --- actions (GUI thread; the heavy parts run on a worker) ----------------------------------------------


def insert_again(job_id: str, doc, on_done, on_report=None) -> None:
    """Insert a saved result into `doc` at the place it was made for; on_done(node, error). A result that
    was inserted before goes in with the correction stored then; one that never was (resumed after a crash
    or a restart) is measured against the region its job kept, like a fresh answer, and on_report(text)
    hears what was corrected before on_done."""
    if doc is None:
        on_done(None, "Open a document first, then insert the result.")
        return
    above = doc.activeNode()

    def decode():
        ledger = Ledger()
        record = ledger.get(job_id)
        if not record.results:
            raise BadInput(f"Job {job_id[:8]} has no saved result.")
        box = record_box(record)
        if record.seam:
            images = seam_apply.reapply(record.results, box.width, box.height, record.seam)
            mask = seam_apply.stored_mask(ledger.load_selection(record, box), box, record.seam)
            return record, box, images, mask, None
        images, corrections = _measure_later(ledger, record, box)
        return record, box, images, corrections[0].mask if corrections else None, corrections

    def insert(value, error: str) -> None:
        if error:
            on_done(None, error)
            return
        record, box, images, mask, corrections = value
        spec = InsertSpec(doc, box, images, record.prompt, mask, above)
        after = lambda node, err: _after_insert(record, node, err, on_done, corrections, on_report)  # noqa: E731
        Inserter(spec, after).run_now()

    run_in_thread(decode, insert, name="gptedit-insert-again")


def _measure_later(ledger: Ledger, record: JobRecord, box: Box):
    """A result never inserted before, placed over `box` as a fresh answer would be: measured against the
    region its job kept, outside its selection (seam_apply.correct); a job from before the region was kept
    goes in uncorrected, and its report says why."""
    from .api import resolve_settings

    kept = later.kept(ledger, record, box, "BGRA")
    options = seam_apply.options_from(resolve_settings({}), masked=later.was_masked(record))
    if kept.mask is None:  # no selection: nothing to compare with, as with a fresh answer
        return seam_apply.correct(record.results, b"", box.width, box.height, None, options)
    if kept.sent is None:
        images = seam_apply.reapply(record.results, box.width, box.height, None)
        return images, [later.uncorrected(box.width, box.height, 0, 0, kept.mask) for _ in images]
    original = kept.sent.pixels
    if (kept.sent.width, kept.sent.height) != (box.width, box.height):
        # kept at the size another front end measures at (GIMP: the size it sent): brought to the region's
        img = colors.bgra_qimage(original, kept.sent.width, kept.sent.height)
        original = image_bytes(img.scaled(box.width, box.height, IGNORE_ASPECT, SMOOTH))
    return seam_apply.correct(record.results, original, box.width, box.height, kept.mask, options)


def _after_insert(record: JobRecord, node, error: str, on_done, corrections=None, on_report=None) -> None:
    fields: dict = {}
    if not error and corrections:
        # what this first insert corrected is kept with the job: Insert again re-applies it
        fields["seam"] = {"variations": [c.to_json() for c in corrections]}
        if on_report is not None:
            on_report(corrections[0].report.summary() + ".")
    if not error and (fields or record.state is not JobState.INSERTED):
        run_in_thread(
            lambda: Ledger().update(record.id, state=JobState.INSERTED, message="inserted again", **fields),
            lambda v, e: None,
        )
    on_done(node, error)


def edit_again(job_id: str, doc, prompt: str, on_started, **options) -> None:
    """A new edit whose input is a saved result (first variation), at the same place in `doc`."""
    from .api import resolve_settings
    from .session import KritaJob

    if doc is None:
        on_started(None, "Open a document first.")
        return
    try:
        settings = resolve_settings(options)
        recipe.model_for(settings)  # an unknown model is refused now, before anything is decoded
    except GptEditError as exc:
        on_started(None, exc.message)
        return

    def decode():
        record = Ledger().get(job_id)
        if not record.results:
            raise BadInput(f"Job {job_id[:8]} has no saved result.")
        box = record_box(record)
        pixels = worker.decode_file(record.results[0], box.width, box.height)
        return record, box, pixels, Ledger().load_selection(record, box)

    def start(value, error: str) -> None:
        if error:
            on_started(None, error)
            return
        record, box, pixels, mask = value
        try:
            # The request size and send size are planned for the result's own box, which is then placed
            # where the result was made: no pixels are read from the document.
            own = recipe.plan_for(settings, box.width, box.height, None)
            plan = dataclasses.replace(
                own,
                canvas=Box(0, 0, doc.width(), doc.height()),
                context=box,
                selection=record.context.selection_box,
            )
            snap = Snapshot(
                doc_name=doc.name() or "Untitled",
                doc_path=doc.fileName() or "",
                canvas_w=doc.width(),
                canvas_h=doc.height(),
                plan=plan,
                pixels=pixels,
                mask=mask,
                node_name=f"result of {record.id[:8]}",
                node_uid="",
                source="history",
                color=colors.color_info(doc),
            )
        except GptEditError as exc:
            on_started(None, exc.message)
            return
        job = KritaJob(doc, snap, settings, prompt.strip() or record.prompt, above=doc.activeNode())
        on_started(job.start(), "")

    run_in_thread(decode, start, name="gptedit-edit-again")


def recover_on_startup() -> None:
    """Mark what cannot be resumed, resume what can, and tell the user (all off the GUI thread)."""

    def sweep():
        return engine.sweep_orphans(Ledger())

    def report(value, error: str) -> None:
        if error:
            notices().say(f"Could not check for unfinished jobs: {error}")
            return
        resumable, unknown = value
        mine = [j for j in resumable if j.origin == "krita"]
        parts = []
        if mine:
            parts.append(
                f"Resuming {len(mine)} unfinished job(s) from last time; their results will appear "
                "in History."
            )
        if unknown:
            parts.append(
                f"{len(unknown)} job(s) were interrupted while sending and are not re-sent "
                "(see History / `gptedit jobs`)."
            )
        if parts:
            notices().say(" ".join(parts))
        for job in mine:
            run_in_thread(lambda job=job: engine.resume_job(job.id), _resumed, name="gptedit-resume")

    run_in_thread(sweep, report, name="gptedit-sweep")


def _resumed(record, error: str) -> None:
    if error:
        notices().say(f"A resumed job could not finish: {error}")
    elif record is not None and record.state is JobState.FETCHED:
        notices().say(f"Resumed job “{record.prompt[:40]}” finished: use History ▸ Insert again.")
    elif record is not None:
        notices().say(f"Resumed job “{record.prompt[:40]}” ended {record.state.value}: {record.error}")


# --- the panel ----------------------------------------------------------------------------------------


class HistoryPanel(QWidget):
    def __init__(self, docker=None):
        super().__init__(docker)
        self.docker = docker
        self.list = QListWidget()
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.insert_button = QPushButton("Insert again")
        self.insert_button.clicked.connect(lambda: self.insert_selected())
        self.edit_button = QPushButton("Edit again")
        self.edit_button.setToolTip("Use the result as the input of a new edit with the current prompt")
        self.edit_button.clicked.connect(lambda: self.edit_selected())
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        row = QHBoxLayout()
        row.addWidget(self.insert_button)
        row.addWidget(self.edit_button)
        row.addWidget(refresh)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.records: list[JobRecord] = []
        notices().notice.connect(self._notice)
        if notices().last:
            self._notice(notices().last)
        self.refresh()

    def _notice(self, text: str) -> None:
        self.status.setText(text)
        if self.docker is not None:
            self.docker.show_message(text)
        self.refresh()

    def refresh(self) -> None:
        run_in_thread(lambda: Ledger().list(limit=100, states=LISTED), self._fill, name="gptedit-history")

    def _fill(self, records, error: str) -> None:
        if error:
            self.status.setText(error)
            return
        self.records = records or []
        self.list.clear()
        for rec in self.records:
            item = QListWidgetItem(describe(rec))
            item.setData(USER_ROLE, rec.id)
            self.list.addItem(item)
            if rec.results:
                run_in_thread(
                    lambda p=rec.results[0]: _thumbnail(p),
                    lambda img, err, item=item: _set_icon(item, img),
                    name="gptedit-thumb",
                )

    def selected_id(self) -> str:
        item = self.list.currentItem()
        return item.data(USER_ROLE) if item is not None else ""

    def insert_selected(self, job_id: str = "", on_done=None) -> None:
        from krita import Krita

        job_id = job_id or self.selected_id()
        if not job_id:
            self.status.setText("Pick a result in the list first.")
            return

        said: list[str] = []

        def done(node, error: str) -> None:
            text = error or " ".join([f"Inserted “{node.name()}”.", *said])
            self.status.setText(text)
            if said and self.docker is not None:
                self.docker.show_message(text)  # what the seam correction did, where a fresh edit says it
            if on_done:
                on_done(node, error)

        insert_again(job_id, Krita.instance().activeDocument(), done, on_report=said.append)

    def edit_selected(self, job_id: str = "", prompt: str = "", on_started=None) -> None:
        from krita import Krita

        job_id = job_id or self.selected_id()
        if not job_id:
            self.status.setText("Pick a result in the list first.")
            return
        text = prompt or (self.docker.prompt.toPlainText() if self.docker is not None else "")
        options = self.docker.options() if self.docker is not None else {}
        options.pop("source", None)
        options.pop("references", None)

        def started(job, error: str) -> None:
            self.status.setText(error or "Editing the result again…")
            if job is not None and self.docker is not None:
                self.docker.track(job)
            if on_started:
                on_started(job, error)

        edit_again(job_id, Krita.instance().activeDocument(), text, started, **options)


def _thumbnail(path: str):
    img = QImage(path)
    return None if img.isNull() else img.scaled(THUMB, THUMB, KEEP_ASPECT, SMOOTH)


def _set_icon(item, img) -> None:
    if img is None:
        return
    try:
        item.setIcon(QIcon(QPixmap.fromImage(img)))
    except RuntimeError:  # the list was refreshed meanwhile and the item is gone
        pass
