"""The project's .venv: `pip install -e .[extras]`, redone only when pyproject.toml or the extras change."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from .common import ROOT, WIN, BuildError, run
from .debian import apt_install

VENV = ROOT / ".venv"
STAMP = VENV / ".gptedit-stamp"  # line 1: sha256 of pyproject.toml; line 2: the extras installed


def venv_python(venv: Path = VENV) -> Path:
    return venv / ("Scripts/python.exe" if WIN else "bin/python")


def _installed_extras(key: str) -> set[str] | None:
    """The extras the stamp says are installed for this pyproject.toml, or None if it is stale."""
    if not STAMP.exists():
        return None
    lines = STAMP.read_text().split("\n")
    if lines[0].strip() != key:
        return None
    # A stamp with no second line was written when .venv always got the test extra.
    return set(filter(None, lines[1].strip().split(","))) if len(lines) > 1 and lines[1].strip() else {"test"}


def ensure_venv(extras: tuple[str, ...] = ("test",)) -> Path:
    """Create .venv and `pip install -e .[extras]` unless the stamp says that is already done.

    Extras only accumulate: the demo asks for `cli` alone, the tests add `test` to what is there."""
    py = venv_python()
    key = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    have = _installed_extras(key) if py.exists() else None
    if have is not None and set(extras) <= have:
        return py
    want = sorted(set(extras) | (have or set()))
    if not py.exists():
        if run([sys.executable, "-m", "venv", VENV]).returncode != 0:
            # Debian's python3 ships venv without ensurepip until python3-venv is installed.
            apt_install([f"python3.{sys.version_info.minor}-venv"])
            shutil.rmtree(VENV, ignore_errors=True)
            if run([sys.executable, "-m", "venv", VENV]).returncode != 0:
                raise BuildError("could not create .venv: install your distribution's python3-venv package")
    target = f".[{','.join(want)}]"
    if run([py, "-m", "pip", "install", "-e", target], cwd=ROOT).returncode != 0:
        raise BuildError(f"pip install -e '{target}' failed (see pip's message above)")
    STAMP.write_text(f"{key}\n{','.join(want)}\n")
    return py


def pip_command() -> list[str]:
    """pip from the python running build.py if it has one, else from the project's venv."""
    probe = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True)
    return [sys.executable, "-m", "pip"] if probe.returncode == 0 else [str(ensure_venv()), "-m", "pip"]
