"""The Krita and GIMP zips: the core (without the command line and the sandbox, which need Pillow), the
vendored requests stack, the plugin's own files, BUILD-INFO.json and the license; byte-identical on every
build from the same sources."""

from __future__ import annotations

import ast
import configparser
import json
import os
import re
import subprocess
import time
import zipfile
from pathlib import Path

from .common import CORE, GIMP_NAME, GIMP_SRC, KRITA_NAME, KRITA_SRC, ROOT, BuildError, say
from .imports import find_top_level_uses, guarded_by_import_error, parents_of
from .vendor import build_vendor_tree, fetch_wheels, read_lock

ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest zip date: fixed so two builds are byte-identical

# Core modules that need Pillow or only make sense outside a host; they stay out of the artifacts.
CORE_SKIP = re.compile(r"^(sandbox|__main__\.py|cli(_\w+)?(\.py)?)$")
SKIP_NAMES = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".DS_Store"}
# The core must run inside hosts that have none of these (docs/architecture.md); requests and certifi only
# through gptedit._deps, which picks the vendored copies.
CORE_BANNED = {
    "PIL",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "PySide6",
    "sip",
    "krita",
    "gi",
    "requests",
    "urllib3",
    "idna",
    "charset_normalizer",
    "certifi",
}


def source_files(folder: Path, skip=lambda rel: False) -> dict[str, Path]:
    """Files under folder (relative posix path -> path), without caches, bytecode and symlinks."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if (
            any(p in SKIP_NAMES for p in rel.parts)
            or path.suffix in (".pyc", ".pyo")
            or path.is_symlink()
            or not path.is_file()
            or skip(rel)
        ):
            continue
        out[rel.as_posix()] = path
    return out


def core_tree() -> dict[str, bytes]:
    """shared/gptedit without the command line and the sandbox, checked to import nothing a host lacks."""
    if not (CORE / "__init__.py").exists():
        raise BuildError(f"{CORE} has no __init__.py")
    files = source_files(
        CORE, skip=lambda rel: bool(CORE_SKIP.match(rel.parts[0])) or rel.parts[0] == "_vendor"
    )
    tree, problems = {}, []
    for rel, path in files.items():
        data = path.read_bytes()
        if rel.endswith(".py"):
            allow = {"requests", "certifi"} if rel == "_deps.py" else set()
            problems += find_top_level_uses(data, CORE_BANNED, f"shared/gptedit/{rel}", allow)
            problems += _relative_imports_of_left_out(data, rel)
        tree[rel] = data
    if problems:
        raise BuildError(
            "the core imports something the plugin artifacts do not ship (no Pillow, "
            "Qt, gi, krita; requests only via _deps; no cli/sandbox):\n  " + "\n  ".join(problems)
        )
    return tree


def _relative_imports_of_left_out(source: bytes, rel: str) -> list[str]:
    """Relative imports of the parts left out of the artifacts (cli, sandbox) would fail inside a host."""
    tree = ast.parse(source, filename=rel)
    parents = parents_of(tree)
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == rel.count("/") + 1:  # from the package root
            for name in [node.module] if node.module else [a.name for a in node.names]:
                head = name.split(".")[0]
                if (CORE_SKIP.match(head) or CORE_SKIP.match(head + ".py")) and not guarded_by_import_error(
                    node, parents
                ):
                    bad.append(
                        f"shared/gptedit/{rel}:{node.lineno}: imports .{name}, left out of the artifacts"
                    )
    return bad


def git_info() -> dict:
    def git(*args: str) -> str:
        try:
            r = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
            return r.stdout.strip() if r.returncode == 0 else ""
        except OSError:
            return ""

    commit = git("rev-parse", "HEAD")
    dirty = (
        bool(
            git(
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "shared",
                "krita_plugin",
                "gimp_plugin",
                "build.py",
            )
        )
        if commit
        else None
    )
    return {"git_commit": commit or "unknown", "git_dirty": dirty}


def project_version() -> str:
    m = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', (CORE / "__init__.py").read_text(), re.M)
    if not m:
        raise BuildError("shared/gptedit/__init__.py has no __version__ = '...'")
    return m.group(1)


def check_krita_sources() -> None:
    desktop = KRITA_SRC / f"{KRITA_NAME}.desktop"
    for need in (desktop, KRITA_SRC / f"{KRITA_NAME}.action", KRITA_SRC / KRITA_NAME / "__init__.py"):
        if not need.exists():
            raise BuildError(f"missing {need.relative_to(ROOT)} (the Krita plugin's sources)")
    cfg = configparser.ConfigParser(interpolation=None)  # Krita's importer reads it with configparser too
    cfg.optionxform = str
    cfg.read_string(desktop.read_text(encoding="utf-8"))
    entry = cfg["Desktop Entry"] if cfg.has_section("Desktop Entry") else {}
    want = {"ServiceTypes": "Krita/PythonPlugin", "X-KDE-Library": KRITA_NAME}
    wrong = [f"{k}={v}" for k, v in want.items() if entry.get(k) != v]
    wrong += [] if entry.get("Name") else ["Name=..."]
    if wrong:
        raise BuildError(f"{desktop.relative_to(ROOT)}: [Desktop Entry] needs " + ", ".join(wrong))


def check_gimp_sources() -> None:
    script = GIMP_SRC / GIMP_NAME / f"{GIMP_NAME}.py"
    if not script.exists():
        raise BuildError(f"missing {script.relative_to(ROOT)} (the GIMP plug-in's entry script)")
    if not script.read_bytes().startswith(b"#!/usr/bin/env python3"):
        raise BuildError(f"{script.relative_to(ROOT)} must start with #!/usr/bin/env python3 (GIMP runs it)")


def write_zip(path: Path, files: dict[str, tuple[bytes, int]]) -> None:
    """A deterministic zip: sorted entries, explicit folder entries, fixed times, Unix modes kept.

    Folder entries matter: Krita's importer finds the plugin package by its `name/` entry."""
    names = dict(files)
    for name in list(files):
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            names.setdefault("/".join(parts[:i]) + "/", (b"", 0o755))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name in sorted(names):
            data, mode = names[name]
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.create_system = 3  # Unix, so unzip and our installer honour the mode bits below
            if name.endswith("/"):
                info.external_attr = ((0o040000 | mode) << 16) | 0x10
                zf.writestr(info, b"")
            else:
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data, compresslevel=9)
    os.replace(tmp, path)


def build_dist(out: Path) -> tuple[Path, Path]:
    started = time.monotonic()
    check_krita_sources()
    check_gimp_sources()
    version = project_version()
    lock = read_lock()
    lib = core_tree()
    lib.update(build_vendor_tree(lock, fetch_wheels(lock)))
    info = {
        "name": "gptedit",
        "version": version,
        **git_info(),
        "python_requires": ">=3.10",
        "vendored": {
            e["module"]: {
                "name": e["name"],
                "version": e["version"],
                "wheel_sha256": e["sha256"],
                "license": e["license"],
            }
            for e in lock
        },
    }
    license_text = (ROOT / "LICENSE").read_bytes()

    def artifact(top: str, host: str) -> dict[str, tuple[bytes, int]]:
        files = {f"{top}/lib/gptedit/{rel}": (data, 0o644) for rel, data in lib.items()}
        build_info = json.dumps({**info, "host": host}, indent=2, sort_keys=True).encode() + b"\n"
        files[f"{top}/BUILD-INFO.json"] = (build_info, 0o644)
        files[f"{top}/LICENSE"] = (license_text, 0o644)
        return files

    krita = artifact(KRITA_NAME, "krita")
    for rel, path in source_files(KRITA_SRC / KRITA_NAME, skip=lambda r: r.parts[0] == "lib").items():
        krita[f"{KRITA_NAME}/{rel}"] = (path.read_bytes(), 0o644)
    for ext in ("desktop", "action"):
        krita[f"{KRITA_NAME}.{ext}"] = ((KRITA_SRC / f"{KRITA_NAME}.{ext}").read_bytes(), 0o644)
    gimp = artifact(GIMP_NAME, "gimp")
    for rel, path in source_files(GIMP_SRC / GIMP_NAME, skip=lambda r: r.parts[0] == "lib").items():
        # GIMP only runs an executable whose stem is the folder name; everything else is plain data.
        gimp[f"{GIMP_NAME}/{rel}"] = (path.read_bytes(), 0o755 if rel == f"{GIMP_NAME}.py" else 0o644)
    krita_zip, gimp_zip = out / f"gptedit-krita-{version}.zip", out / f"gptedit-gimp-{version}.zip"
    write_zip(krita_zip, krita)
    write_zip(gimp_zip, gimp)
    say(f"built {krita_zip} and {gimp_zip} in {time.monotonic() - started:.1f} s")
    return krita_zip, gimp_zip
