"""The docker (Settings ▸ Dockers ▸ GPT Image Edit): prompt, options, cost, Edit, job list, variations,
history. Every button has a public method doing the same, so tests and scripts drive the real code path.
"""

from __future__ import annotations

import json

from gptedit import settings as settings_mod
from gptedit.catalog import PROVIDERS, model_info
from gptedit.errors import GptEditError
from gptedit.model_access import access_note, usable_models
from gptedit.models import Background, Complexity, OutputFormat, Quality
from gptedit.retirement import menu_label, offered_models
from krita import DockWidget, Krita

from . import api, estimate
from .canvas_read import markup_layers
from .history import HistoryPanel
from .job_list import JobList
from .qt import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QPixmap,
    QPlainTextEdit,
    QPushButton,
    QShortcut,
    QSpinBox,
    QTabWidget,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from .variations import VariationsPanel

DOCKER_ID = "gptedit_docker"
DOCKER_TITLE = "GPT Image Edit"
#: every docker instance (one per main window), for the menu action and the tests
DOCKERS: list[GptEditDocker] = []
RECENT_MAX = 15
SOURCES = (("layer", "Active layer"), ("visible", "Visible image"))


def _read_setting(key: str, default: str = "") -> str:
    return Krita.instance().readSetting("gptedit", key, default)


def _write_setting(key: str, value: str) -> None:
    Krita.instance().writeSetting("gptedit", key, value)


NO_MARKUP = "None"


class MarkupCombo(QComboBox):
    """The paint layers of the active document, listed afresh each time the list opens (layers come and go
    while the docker stays open)."""

    def showPopup(self) -> None:  # noqa: N802 - Qt's name
        self.refresh()
        super().showPopup()

    def refresh(self) -> None:
        current = self.currentData() or ""
        self.blockSignals(True)
        self.clear()
        self.addItem(NO_MARKUP, "")
        for node in markup_layers(Krita.instance().activeDocument()):
            self.addItem(node.name(), node.uniqueId().toString())
        index = self.findData(current)
        self.setCurrentIndex(index if index >= 0 else 0)
        self.blockSignals(False)


class GptEditDocker(DockWidget):
    def __init__(self):
        super().__init__()
        self.setWindowTitle(DOCKER_TITLE)
        DOCKERS.append(self)
        self.last_job = None
        self._markup_allowed = False
        root = QWidget(self)
        tabs = QTabWidget(root)
        tabs.addTab(self._build_edit_tab(), "Edit")
        self.history = HistoryPanel(self)
        tabs.addTab(self.history, "History")
        self.tabs = tabs
        layout = QVBoxLayout(root)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(tabs)
        self.setWidget(root)
        self._estimate_timer = QTimer(self)
        self._estimate_timer.setInterval(2000)
        self._estimate_timer.timeout.connect(self.update_estimate)
        self._load_choices()
        self._estimate_timer.start()
        self.update_estimate()

    # --- layout --------------------------------------------------------------------------------------
    def _build_edit_tab(self) -> QWidget:
        tab = QWidget()
        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText("Describe the edit… (Ctrl+Enter to send)")
        self.prompt.setMaximumHeight(90)
        self.prompt.textChanged.connect(self.update_estimate)
        self.recent = QComboBox()
        self.recent.addItem("Recent prompts…")
        self.recent.activated.connect(self._pick_recent)
        self.provider = QComboBox()
        self.provider.addItems(list(settings_mod.PROVIDER_NAMES))
        self.provider.currentTextChanged.connect(self._provider_changed)
        self.model = QComboBox()
        self.quality = QComboBox()
        self.quality.addItems([q.value for q in Quality])
        self.complexity = QComboBox()
        self.complexity.addItem("model default", "")
        for c in Complexity:
            self.complexity.addItem(c.value, c.value)
        self.complexity.setToolTip("How much the model plans the picture before drawing it (GPT Image 2.6)")
        self.markup = MarkupCombo()
        self.markup.setToolTip(
            "A paint layer with arrows, circles or notes showing where and what to change; "
            "sent as the markup overlay and left as you drew it"
        )
        self.size = QComboBox()
        self.size.setEditable(True)
        self.n = QSpinBox()
        self.n.setRange(1, 10)
        self.output_format = QComboBox()
        self.output_format.addItems([f.value for f in OutputFormat])
        self.background = QComboBox()
        self.background.addItems([b.value for b in Background])
        self.source = QComboBox()
        for key, label in SOURCES:
            self.source.addItem(label, key)
        self.references = QCheckBox("Send other visible layers as references")
        self.model.currentTextChanged.connect(self._model_changed)
        for w in (self.quality, self.size, self.output_format, self.background, self.markup, self.complexity):
            w.currentTextChanged.connect(self.update_estimate)
        self.n.valueChanged.connect(self.update_estimate)
        form = QFormLayout()
        self.form = form
        form.addRow("Provider", self.provider)
        form.addRow("Model", self.model)
        form.addRow("Quality", self.quality)
        form.addRow("Complexity", self.complexity)
        form.addRow("Size", self.size)
        form.addRow("Variations", self.n)
        form.addRow("Format", self.output_format)
        form.addRow("Background", self.background)
        form.addRow("Send", self.source)
        form.addRow("Markup", self.markup)
        form.addRow("", self.references)
        self.cost_label = QLabel("")
        self.edit_button = QPushButton("Edit")
        self.edit_button.setToolTip("Send the layer or selection with the prompt (Ctrl+Enter)")
        self.edit_button.clicked.connect(self.start_edit)
        self.settings_button = QPushButton("Settings…")
        self.settings_button.clicked.connect(self.open_settings)
        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self.prompt, activated=self.start_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cost_label, 1)
        buttons.addWidget(self.settings_button)
        buttons.addWidget(self.edit_button)
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.preview = QLabel("")
        self.preview.hide()
        self.jobs = JobList()
        self.jobs.selected.connect(self._job_selected)
        self.variations = VariationsPanel(self)
        layout = QVBoxLayout(tab)
        layout.addWidget(self.prompt)
        layout.addWidget(self.recent)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.message_label)
        layout.addWidget(self.preview)
        layout.addWidget(self.jobs, 1)
        layout.addWidget(self.variations)
        return tab

    # --- choices -------------------------------------------------------------------------------------
    def _load_choices(self) -> None:
        try:
            s = settings_mod.resolve({})
        except GptEditError as exc:
            self.show_message(exc.message, error=True)
            s = settings_mod.Settings()
        self._set_combo(self.provider, s.provider)
        self._provider_changed(s.provider)
        if s.model and self.model.findData(s.model) < 0:
            # a saved model that has been shut down: say so, and leave the provider's default selected
            try:
                model_info(s.protocol, s.model)
                self.show_message(access_note(s, s.model))  # not on the key's model list
            except GptEditError as exc:
                self.show_message(exc.message, error=True)
        self._set_combo(self.model, s.model, data=True)
        self._set_combo(self.quality, _read_setting("quality", s.quality.value))
        self._set_combo(
            self.complexity,
            _read_setting("complexity", s.complexity.value if s.complexity else ""),
            data=True,
        )
        self.markup.refresh()
        self._set_combo(self.size, _read_setting("size", s.size))
        self.n.setValue(int(_read_setting("n", str(s.n)) or 1))
        self._set_combo(self.output_format, _read_setting("output_format", s.output_format.value))
        self._set_combo(self.background, _read_setting("background", s.background.value))
        self._set_combo(self.source, _read_setting("source", "layer"), data=True)
        self.references.setChecked(_read_setting("references", "false") == "true")
        self._load_recent()

    @staticmethod
    def _set_combo(combo: QComboBox, value: str, data: bool = False) -> None:
        index = combo.findData(value) if data else combo.findText(value)
        if index >= 0:
            combo.setCurrentIndex(index)
        elif combo.isEditable():
            combo.setEditText(value)

    def _provider_changed(self, provider: str) -> None:
        protocol = "eachlabs" if provider == settings_mod.SANDBOX else provider
        info = PROVIDERS.get(protocol)
        if info is None:
            return
        self.model.blockSignals(True)
        self.model.clear()
        # shut-down models are never offered (retirement.py), nor models the key's cached model list lacks
        # (model_access.py); a saved one is refused with its replacement
        try:
            models = usable_models(settings_mod.resolve({"provider": provider}))
        except GptEditError:
            models = offered_models(protocol)
        for m in models:
            self.model.addItem(menu_label(m), m.id)  # the label warns of a shutdown date within a month
        self._set_combo(self.model, info.default_model, data=True)
        self.model.blockSignals(False)
        self._model_changed()

    def _model_changed(self) -> None:
        try:
            info = model_info(self.protocol(), self.model_id())
        except GptEditError as exc:
            self.show_message(exc.message, error=True)
            return
        # only what the model has is offered: its quality tiers, complexity and markup
        quality = self.quality.currentText() or Quality.MEDIUM.value
        self.quality.blockSignals(True)
        self.quality.clear()
        self.quality.addItems(info.quality_choices())
        self._set_combo(self.quality, quality if quality in info.quality_choices() else Quality.MEDIUM.value)
        self.quality.blockSignals(False)
        self._show_row(self.complexity, bool(info.complexities))
        if not info.complexities:
            self.complexity.setCurrentIndex(0)
        self._show_row(self.markup, info.supports_markup)
        self._markup_allowed = info.supports_markup
        if not info.supports_markup:
            self.markup.setCurrentIndex(0)
        current = self.size.currentText() or "auto"
        self.size.blockSignals(True)
        self.size.clear()
        self.size.addItems(info.sizes.choices())
        self._set_combo(self.size, current)
        self.size.blockSignals(False)
        self.n.setMaximum(info.max_n)
        self.update_estimate()

    def _show_row(self, field, visible: bool) -> None:
        field.setVisible(visible)
        label = self.form.labelForField(field)
        if label is not None:
            label.setVisible(visible)

    def model_id(self) -> str:
        return self.model.currentData() or self.model.currentText()

    def protocol(self) -> str:
        p = self.provider.currentText()
        return "eachlabs" if p == settings_mod.SANDBOX else p

    def options(self) -> dict:
        """The docker's choices as api.edit() options."""
        return {
            "provider": self.provider.currentText(),
            "model": self.model_id(),
            "quality": self.quality.currentText(),
            "complexity": self.complexity.currentData() or "",
            "markup": (self.markup.currentData() or "") if self._markup_allowed else "",
            "size": self.size.currentText() or "auto",
            "n": self.n.value(),
            "output_format": self.output_format.currentText(),
            "background": self.background.currentText(),
            "source": self.source.currentData(),
            "references": self.references.isChecked(),
        }

    def set_option(self, name: str, value) -> None:
        """Set one control as a user would (tests and scripts)."""
        if name == "n":
            self.n.setValue(int(value))
        elif name == "references":
            self.references.setChecked(bool(value))
        elif name == "source":
            self._set_combo(self.source, value, data=True)
        elif name == "complexity":
            self._set_combo(self.complexity, str(value or ""), data=True)
        elif name == "markup":
            # a layer name, a unique id, a node, or "" / None for no markup
            self.markup.refresh()
            wanted = value.uniqueId().toString() if hasattr(value, "uniqueId") else str(value or "")
            index = self.markup.findData(wanted)
            self.markup.setCurrentIndex(index if index >= 0 else max(0, self.markup.findText(wanted)))
        elif name == "model":
            self._set_combo(self.model, str(value), data=True)
            self._model_changed()
        else:
            combo = getattr(self, name)
            self._set_combo(combo, str(value))
            if name == "provider":
                self._provider_changed(str(value))
            elif name == "model":
                self._model_changed()

    def _save_choices(self) -> None:
        o = self.options()
        for key in ("quality", "complexity", "size", "output_format", "background", "source"):
            _write_setting(key, str(o[key]))
        _write_setting("n", str(o["n"]))
        _write_setting("references", "true" if o["references"] else "false")

    # --- recent prompts ------------------------------------------------------------------------------
    def recent_prompts(self) -> list[str]:
        try:
            items = json.loads(_read_setting("recent_prompts", "[]"))
        except ValueError:
            return []
        return [p for p in items if isinstance(p, str)]

    def _load_recent(self) -> None:
        self.recent.clear()
        self.recent.addItem("Recent prompts…")
        for p in self.recent_prompts():
            self.recent.addItem(p[:80], p)

    def _remember(self, prompt: str) -> None:
        items = [prompt] + [p for p in self.recent_prompts() if p != prompt]
        _write_setting("recent_prompts", json.dumps(items[:RECENT_MAX]))
        self._load_recent()

    def _pick_recent(self, index: int) -> None:
        text = self.recent.itemData(index)
        if text:
            self.prompt.setPlainText(text)
        self.recent.setCurrentIndex(0)

    # --- actions -------------------------------------------------------------------------------------
    def focus_prompt(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.prompt.setFocus()

    def set_prompt(self, text: str) -> None:
        self.prompt.setPlainText(text)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message_label.setStyleSheet("color: #c0392b;" if error else "")
        self.message_label.setText(text)

    def message(self) -> str:
        return self.message_label.text()

    def update_estimate(self) -> None:
        if not self.isVisible() and self.sender() is self._estimate_timer:
            return
        self.cost_label.setText(
            estimate.docker_text(
                Krita.instance().activeDocument(), self.options(), len(self.prompt.toPlainText())
            )
        )

    def start_edit(self, prompt: str | None = None, **overrides):
        """What the Edit button does. Returns the KritaJob, or None with the reason in the docker."""
        text = (prompt if isinstance(prompt, str) else self.prompt.toPlainText()).strip()
        options = dict(self.options(), **overrides)
        try:
            job = api.edit(text, **options)
        except GptEditError as exc:
            self.show_message(exc.message, error=True)
            return None
        except Exception as exc:  # noqa: BLE001 - a bug must read as a message, not a modal traceback
            self.show_message(f"Unexpected problem in the plugin: {exc!r}", error=True)
            return None
        self._remember(text)
        self._save_choices()
        self.show_message(f"Sent: {text[:60]}")
        self.track(job)
        return job

    def track(self, job) -> None:
        self.last_job = job
        self.jobs.track(job)
        job.changed.connect(lambda job=job: self._job_changed(job))
        job.finished.connect(lambda job=job: self._job_finished(job))

    def _job_changed(self, job) -> None:
        if job.preview is not None and not job.done:
            self.preview.setPixmap(QPixmap.fromImage(job.preview))
            self.preview.show()

    def _job_finished(self, job) -> None:
        self.preview.hide()
        self.show_message(job.message, error=bool(job.error) or _seam_warning(job))
        if job.layer is not None and job.n > 1:
            self.variations.show_group(job.doc, job.layer)
        self.history.refresh()

    def _job_selected(self, job) -> None:
        self.show_message(job.message, error=bool(job.error) or _seam_warning(job))

    def open_settings(self) -> None:
        from .settings_page import SettingsDialog

        dialog = SettingsDialog(self)
        if dialog.run():
            self._load_choices()

    # --- Krita ---------------------------------------------------------------------------------------
    def canvasChanged(self, canvas) -> None:
        self.update_estimate()
        self.variations.follow_active(Krita.instance().activeDocument())


def _seam_warning(job) -> bool:
    """The seam report warns that the edit will not blend well: shown like an error, in red."""
    seam = getattr(job, "seam", None) or []
    return bool(seam and seam[0].report.warning)
