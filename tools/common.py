"""Paths, names and helpers shared by every build step."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "shared" / "gptedit"
LOCK = ROOT / "shared" / "vendor.lock"
KRITA_SRC = ROOT / "krita_plugin"
GIMP_SRC = ROOT / "gimp_plugin"
KRITA_NAME = "gptedit_krita"  # X-KDE-Library, the pykrita folder and the enable_<name> key must all agree
GIMP_NAME = "gptedit-gimp"  # GIMP runs plug-ins/<name>/<name>.py: folder name == script stem
WHEEL_CACHE = Path(os.environ.get("GPTEDIT_WHEEL_CACHE") or ROOT / "build" / "wheels")
WIN = os.name == "nt"


class BuildError(Exception):
    """A problem the person running build.py can fix; printed without a traceback."""


def say(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def run(cmd: list, **kw) -> subprocess.CompletedProcess:
    say("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], **kw)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
