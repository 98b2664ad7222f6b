"""Where the ledger, the results and the config file live.

Krita, GIMP and the command line share one data folder and one config file, so a result fetched by one of
them can be inserted by another and a key entered once works everywhere."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "gptedit"


def _platform_data_root() -> Path:
    if sys.platform.startswith("win"):
        return Path(
            os.environ.get("LOCALAPPDATA") or os.environ.get("APPDATA") or Path.home() / "AppData/Local"
        )
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def _platform_config_root() -> Path:
    if sys.platform.startswith("win"):
        return Path(os.environ.get("APPDATA") or Path.home() / "AppData/Roaming")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def data_dir() -> Path:
    """`GPTEDIT_HOME` wins (tests, portable installs); else the platform's user data folder."""
    home = os.environ.get("GPTEDIT_HOME")
    path = Path(home).expanduser() if home else _platform_data_root() / APP
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_path() -> Path:
    """`GPTEDIT_CONFIG` wins; with `GPTEDIT_HOME` set the config sits inside it so a test never reads the
    user's real keys; else the platform's user config folder."""
    explicit = os.environ.get("GPTEDIT_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get("GPTEDIT_HOME"):
        return data_dir() / "config.json"
    return _platform_config_root() / APP / "config.json"


def ledger_path() -> Path:
    return data_dir() / "jobs.sqlite3"


def results_dir() -> Path:
    path = data_dir() / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path
