"""Modules that used to import each other no longer do (at the top or inside a function): what both need
lives in a third module (cli_common.py for the command line, arguments.py for the GIMP procedures)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "shared" / "gptedit"
GIMP = ROOT / "gimp_plugin" / "gptedit-gimp" / "gptedit_gimp"


def imports(path: Path, package: str) -> set[str]:
    """Every module `path` imports anywhere in its body, as dotted names inside `package`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = node.module or ""
                found.add(base)
                found.update(f"{base}.{a.name}".lstrip(".") for a in node.names)
            elif node.module and node.module.startswith(package + "."):
                found.add(node.module[len(package) + 1 :])
        elif isinstance(node, ast.Import):
            found.update(a.name[len(package) + 1 :] for a in node.names if a.name.startswith(package + "."))
    return found


@pytest.mark.parametrize(
    "folder,package,a,b",
    [
        (CORE, "gptedit", "cli", "cli_batch"),
        (GIMP, "gptedit_gimp", "procedures", "settings_proc"),
    ],
)
def test_no_cycle_between(folder, package, a, b):
    a_needs = imports(folder / f"{a}.py", package)
    b_needs = imports(folder / f"{b}.py", package)
    assert not (b in a_needs and a in b_needs), f"{a} and {b} import each other"
