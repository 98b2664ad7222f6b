"""Settings ▸ keys, base URLs and defaults, stored in the ONE config file the command line and GIMP read
(mode 0600, settings.save_config). Environment variables still win over it, and the page says so.

The page shows the fields `settings.FIELDS` marks for Krita: one group per provider for the per-provider
ones (key, base URL), one "Defaults" group for the rest, each widget made from its field's type."""

from __future__ import annotations

import os

from gptedit import settings as settings_mod
from gptedit.catalog import PROVIDERS
from gptedit.connection import check_in_background, key_owner, settings_to_test
from gptedit.errors import GptEditError
from gptedit.settings import KRITA_PAGE, PER_PROVIDER, TOP, Field, page_fields

from .qt import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QObject,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    exec_loop,
    pyqtSignal,
)

PASSWORD = getattr(QLineEdit, "EchoMode", QLineEdit).Password


def key_status(provider: str, config: dict) -> str:
    """Where the key for `provider` comes from, masked: never the key itself."""
    env = settings_mod.KEY_ENV.get(provider, "")
    if env and os.environ.get(env):
        return f"from {env} (environment wins): {settings_mod.mask_key(os.environ[env])}"
    saved = ((config.get("providers") or {}).get(provider) or {}).get("api_key", "")
    return f"saved: {settings_mod.mask_key(saved)}" if saved else "not set"


def apply(values: dict) -> None:
    """Write the page's values. `values`: {"keys": {provider: key}, "base_urls": {provider: url},
    "defaults": {name: value}, "provider": name}. Empty key fields keep the saved key; a base URL of ""
    removes the override."""
    for provider, key in (values.get("keys") or {}).items():
        if key:
            settings_mod.set_config_value("api_key", key.strip(), provider=provider)
    for provider, url in (values.get("base_urls") or {}).items():
        settings_mod.set_config_value("base_url", url.strip() or None, provider=provider)
    for name, value in (values.get("defaults") or {}).items():
        settings_mod.set_config_value(name, value)
    if values.get("provider"):
        settings_mod.set_config_value("provider", values["provider"])
    settings_mod.resolve({})  # refuse a broken result now, with the config error's message


class _Relay(QObject):
    """Carries a connection report from the worker thread to the GUI thread (a queued signal)."""

    ready = pyqtSignal(object)


class SettingsDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("GPT Image Edit — settings")
        try:
            self.config = settings_mod.load_config()
        except GptEditError as exc:
            self.config = {}
            self.error = exc.message
        else:
            self.error = ""
        layout = QVBoxLayout(self)
        self.key_fields: dict[str, QLineEdit] = {}
        self.url_fields: dict[str, QLineEdit] = {}
        fields = page_fields(KRITA_PAGE)
        per_provider = [f.name for f in fields if f.section == PER_PROVIDER]
        providers = self.config.get("providers") or {}
        for name, info in PROVIDERS.items():
            box = QGroupBox(info.label)
            form = QFormLayout(box)
            if "api_key" in per_provider:
                key = QLineEdit()
                key.setEchoMode(PASSWORD)
                key.setPlaceholderText(key_status(name, self.config))
                form.addRow(f"{settings_mod.FIELD['api_key'].label} ({info.key_env})", key)
                self.key_fields[name] = key
            if "base_url" in per_provider:
                url = QLineEdit((providers.get(name) or {}).get("base_url", ""))
                url.setPlaceholderText(info.default_base_url)
                form.addRow(settings_mod.FIELD["base_url"].label, url)
                self.url_fields[name] = url
            layout.addWidget(box)
        box = QGroupBox("Defaults")
        form = QFormLayout(box)
        #: the Defaults group's widgets by field name, each read back by `_value`
        self.default_fields: dict[str, object] = {}
        for f in fields:
            if f.section == PER_PROVIDER:
                continue
            where = self.config if f.section == TOP else (self.config.get("defaults") or {})
            saved = where.get(f.name)
            widget = _widget(f, f.default if saved in (None, "") else saved)
            form.addRow(f.label, widget)
            self.default_fields[f.name] = widget
            setattr(self, f.name, widget)  # dialog.provider, dialog.quality, … for scripts and tests
        layout.addWidget(box)
        # Test connection: free look-ups for the provider chosen above, with what is typed here (not saved
        # yet) winning; the network runs on a worker thread so Krita never waits on it
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel("")
        self.test_result.setWordWrap(True)
        self._relay = _Relay(self)
        self._relay.ready.connect(self._show_test)
        layout.addWidget(self.test_button)
        layout.addWidget(self.test_result)
        self.message = QLabel(self.error or f"Saved in {settings_mod.config_path()} (readable only by you).")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        ok = getattr(QDialogButtonBox, "StandardButton", QDialogButtonBox).Ok
        cancel = getattr(QDialogButtonBox, "StandardButton", QDialogButtonBox).Cancel
        buttons = QDialogButtonBox(ok | cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> dict:
        fields = settings_mod.FIELD
        chosen = {name: _value(widget) for name, widget in self.default_fields.items()}
        return {
            "keys": {n: f.text() for n, f in self.key_fields.items()},
            "base_urls": {n: f.text() for n, f in self.url_fields.items()},
            "defaults": {n: v for n, v in chosen.items() if fields[n].section != TOP},
            "provider": chosen.get("provider", ""),
        }

    def test_connection(self) -> None:
        name = self.provider.currentText()
        owner = key_owner(name)
        key = self.key_fields[owner].text() if owner in self.key_fields else ""
        url = self.url_fields[owner].text() if owner in self.url_fields else ""
        try:
            settings = settings_to_test(name, key=key, base_url=url)
        except GptEditError as exc:
            self.test_result.setText(exc.message)
            return
        self.test_button.setEnabled(False)
        self.test_result.setText(f"Testing {name} at {settings.base_url}…")
        check_in_background(settings, self._relay.ready.emit)

    def _show_test(self, report) -> None:
        self.test_button.setEnabled(True)
        self.test_result.setText(report.text())

    def save(self) -> None:
        try:
            apply(self.values())
        except GptEditError as exc:
            self.message.setText(exc.message)
            return
        self.accept()

    def run(self) -> bool:
        return bool(exec_loop(self))


def _widget(f: Field, value):
    """The widget for one field: a list for choices, a spin box for whole numbers, else a text line."""
    if f.choices:
        combo = QComboBox()
        combo.addItems(list(f.choices))
        combo.setCurrentText(str(value))
        return combo
    if isinstance(f.default, int) and not isinstance(f.default, bool):
        spin = QSpinBox()
        low, high = f.limits or (0, 1_000_000)
        spin.setRange(low, high)
        spin.setValue(int(value))
        return spin
    return QLineEdit(str(value))


def _value(widget):
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QSpinBox):
        return widget.value()
    return widget.text()
