"""The core the hosts load imports no host module and no Pillow; third-party HTTP only through _deps."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "shared" / "gptedit"
HOST_ONLY = ("PIL", "PyQt5", "PyQt6", "gi", "krita", "GimpUi", "Gimp")


def core_files():
    for path in sorted(CORE.rglob("*.py")):
        rel = path.relative_to(CORE)
        if rel.parts[0] == "sandbox" or rel.name.startswith("cli") or rel.name == "__main__.py":
            continue
        yield path


def imported_modules(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_core_imports_no_pillow_qt_gi_or_krita():
    offenders = []
    for path in core_files():
        for name in imported_modules(path):
            if name.split(".")[0] in HOST_ONLY:
                offenders.append(f"{path.relative_to(CORE)} imports {name}")
    assert offenders == []


def test_requests_and_certifi_only_through_deps():
    offenders = []
    for path in core_files():
        if path.name == "_deps.py":
            continue
        for name in imported_modules(path):
            if name.split(".")[0] in ("requests", "urllib3", "certifi", "idna", "charset_normalizer"):
                offenders.append(f"{path.relative_to(CORE)} imports {name}")
    assert offenders == []


def test_core_uses_relative_imports_only():
    offenders = [
        f"{p.relative_to(CORE)}: {n}"
        for p in core_files()
        for n in imported_modules(p)
        if n.split(".")[0] == "gptedit"
    ]
    assert offenders == []


def test_importing_the_whole_core_pulls_in_no_pillow():
    names = [
        ".".join(("gptedit", *p.relative_to(CORE).with_suffix("").parts)).replace(".__init__", "")
        for p in core_files()
    ]
    code = (
        "import sys\n"
        + "".join(f"import {n}\n" for n in names)
        + "bad = [m for m in sys.modules if m.split('.')[0] in ('PIL', 'PyQt5', 'PyQt6', 'gi', 'krita')]\n"
        + "print(bad); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(CORE.parent))
    assert proc.returncode == 0, proc.stdout + proc.stderr
