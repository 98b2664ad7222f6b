"""The docker's job list: one row per edit of this session with state, progress, elapsed time and cost;
Cancel for the selected running job. Refreshed by the jobs' own `changed` signals plus a 0.5 s clock for
the elapsed time (cheap: only text updates)."""

from __future__ import annotations

from .qt import (
    NO_EDIT,
    USER_ROLE,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTimer,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    pyqtSignal,
)
from .session import JOBS, KritaJob, KritaJobState

COLUMNS = ("Prompt", "State", "Time", "Cost")


def elapsed_text(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"


def cost_text(job: KritaJob) -> str:
    if job.cost is not None:
        return f"${job.cost:.3f}"
    rec = job.record
    if rec is not None and rec.estimate_high:
        return f"~${rec.estimate_high:.3f}"
    return ""


def state_text(job: KritaJob) -> str:
    text = str(job.state)
    if (
        job.progress is not None
        and not job.done
        and job.state in (KritaJobState.SUBMITTING, KritaJobState.PREPARING)
    ):
        text += f" {int(job.progress * 100)}%"
    return text


class JobList(QWidget):
    """Rows for `session.JOBS`; emits `selected(job)` when the user picks one."""

    selected = pyqtSignal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setEditTriggers(NO_EDIT)
        self.tree.setMinimumHeight(80)
        self.tree.itemSelectionChanged.connect(self._on_select)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the selected job (the provider is asked to cancel where it can)")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.detail, 1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        layout.addLayout(row)
        self._items: dict[int, QTreeWidgetItem] = {}
        self._clock = QTimer(self)
        self._clock.setInterval(500)
        self._clock.timeout.connect(self.refresh)
        self._clock.start()
        self.refresh()

    def track(self, job: KritaJob) -> None:
        job.changed.connect(self.refresh)
        self.refresh()
        item = self._items.get(id(job))
        if item is not None:
            self.tree.setCurrentItem(item)

    def job_for(self, item) -> KritaJob | None:
        wanted = item.data(0, USER_ROLE) if item is not None else None
        return next((j for j in JOBS if id(j) == wanted), None)

    def current_job(self) -> KritaJob | None:
        return self.job_for(self.tree.currentItem())

    def refresh(self) -> None:
        # Inserting rows can move the selection; the tree's signals stay quiet meanwhile so a refresh
        # never re-enters itself through _on_select.
        self.tree.blockSignals(True)
        try:
            for job in JOBS:
                item = self._items.get(id(job))
                if item is None:
                    item = QTreeWidgetItem()
                    item.setData(0, USER_ROLE, id(job))
                    item.setToolTip(0, job.prompt)
                    self.tree.insertTopLevelItem(0, item)
                    self._items[id(job)] = item
                item.setText(0, job.prompt[:60])
                item.setText(1, state_text(job))
                item.setText(2, elapsed_text(job.elapsed))
                item.setText(3, cost_text(job))
                item.setToolTip(1, job.message)
        finally:
            self.tree.blockSignals(False)
        self._update_controls()

    def _update_controls(self) -> None:
        job = self.current_job()
        self.cancel_button.setEnabled(job is not None and not job.done)
        self.detail.setText(job.message if job is not None else "")

    def cancel_selected(self) -> None:
        job = self.current_job()
        if job is not None:
            job.cancel()

    def _on_select(self) -> None:
        self._update_controls()
        job = self.current_job()
        if job is not None:
            self.selected.emit(job)
