"""The repository's style is kept by tools, not by review: ruff's formatter and its lint rules
(pyproject.toml, including the 110-column limit) must both be clean on every commit CI sees."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True)


def test_every_python_file_is_formatted_by_ruff():
    proc = ruff("format", "--check", ".")
    assert proc.returncode == 0, f"run `ruff format .`:\n{proc.stdout}{proc.stderr}"


def test_ruff_lint_rules_pass_including_the_line_length():
    proc = ruff("check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr
