"""Settings ▸ keys, base URLs and defaults, stored in the ONE config file the command line and GIMP read
(mode 0600, settings.save_config). Environment variables still win over it, and the page says so."""

from __future__ import annotations

import os

from gptedit import settings as settings_mod
from gptedit.catalog import PROVIDERS
from gptedit.connection import check_in_background, key_owner, settings_to_test
from gptedit.errors import GptEditError
from gptedit.models import OutputFormat, Quality

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
        providers = self.config.get("providers") or {}
        for name, info in PROVIDERS.items():
            if name in settings_mod.SHARES_ACCOUNT:
                continue  # uses the key and base URL of the provider it shares an account with
            box = QGroupBox(info.label)
            form = QFormLayout(box)
            key = QLineEdit()
            key.setEchoMode(PASSWORD)
            key.setPlaceholderText(key_status(name, self.config))
            url = QLineEdit((providers.get(name) or {}).get("base_url", ""))
            url.setPlaceholderText(info.default_base_url)
            form.addRow(f"API key ({info.key_env})", key)
            form.addRow("Base URL", url)
            self.key_fields[name], self.url_fields[name] = key, url
            layout.addWidget(box)
        defaults = self.config.get("defaults") or {}
        box = QGroupBox("Defaults")
        form = QFormLayout(box)
        self.provider = QComboBox()
        self.provider.addItems(list(settings_mod.PROVIDER_NAMES))
        self.provider.setCurrentText(self.config.get("provider") or settings_mod.SANDBOX)
        self.quality = QComboBox()
        self.quality.addItems([q.value for q in Quality])
        self.quality.setCurrentText(defaults.get("quality", Quality.MEDIUM.value))
        self.output_format = QComboBox()
        self.output_format.addItems([f.value for f in OutputFormat])
        self.output_format.setCurrentText(defaults.get("output_format", "png"))
        self.max_send = QSpinBox()
        self.max_send.setRange(256, 8192)
        self.max_send.setValue(int(defaults.get("max_send_side", 2048)))
        form.addRow("Provider", self.provider)
        form.addRow("Quality", self.quality)
        form.addRow("Output format", self.output_format)
        form.addRow("Largest side sent", self.max_send)
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
        return {
            "keys": {n: f.text() for n, f in self.key_fields.items()},
            "base_urls": {n: f.text() for n, f in self.url_fields.items()},
            "defaults": {"quality": self.quality.currentText(), "output_format": self.output_format.currentText(),
                         "max_send_side": self.max_send.value()},
            "provider": self.provider.currentText(),
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
