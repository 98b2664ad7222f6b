#!/usr/bin/env python3
"""gptedit's one entry point for developers, CI and users (standard library only, Python 3.10+).

    python3 build.py demo                 one edit end to end on the offline sandbox
    python3 build.py test [pytest args]   the whole suite (Debian packages, host chroots, venv, dist, pytest)
    python3 build.py dist [--out DIR]     dist/gptedit-krita-<v>.zip and dist/gptedit-gimp-<v>.zip
    python3 build.py install [--krita-dir D] [--gimp-dir D] [--kritarc F] [--dry-run]
    python3 build.py venv | lint | bench

The artifacts carry the core (shared/gptedit without the command line and the sandbox, which need Pillow)
plus the pure-Python requests stack from shared/vendor.lock under gptedit._vendor, with every import of it
rewritten so that Krita's single shared interpreter never mixes our copy with another plugin's `requests`.
"""

from __future__ import annotations

import argparse
import ast
import configparser
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.etree import ElementTree

if sys.version_info < (3, 10):  # noqa: UP036 - the message is the point: users run this with any python3
    sys.exit(f"build.py needs Python 3.10 or newer; this is {sys.version.split()[0]}")

ROOT = Path(__file__).resolve().parent
CORE = ROOT / "shared" / "gptedit"
LOCK = ROOT / "shared" / "vendor.lock"
KRITA_SRC = ROOT / "krita_plugin"
GIMP_SRC = ROOT / "gimp_plugin"
KRITA_NAME = "gptedit_krita"  # X-KDE-Library, the pykrita folder and the enable_<name> key must all agree
GIMP_NAME = "gptedit-gimp"  # GIMP runs plug-ins/<name>/<name>.py: folder name == script stem
WHEEL_CACHE = Path(os.environ.get("GPTEDIT_WHEEL_CACHE") or ROOT / "build" / "wheels")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest zip date: fixed so two builds are byte-identical
WIN = os.name == "nt"

# Core modules that need Pillow or only make sense outside a host; they stay out of the artifacts.
CORE_SKIP = re.compile(r"^(sandbox|__main__\.py|cli(_\w+)?(\.py)?)$")
SKIP_NAMES = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".DS_Store"}
# The core must run inside hosts that have none of these (DESIGN.md); requests/certifi only via _deps.
CORE_BANNED = {"PIL", "PyQt5", "PyQt6", "PySide2", "PySide6", "sip", "krita", "gi",
               "requests", "urllib3", "idna", "charset_normalizer", "certifi"}


class BuildError(Exception):
    """A problem the person running build.py can fix; printed without a traceback."""


def say(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    say("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], **kw)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ----------------------------------------------------------------------------------------------- venv
def venv_python(venv: Path = ROOT / ".venv") -> Path:
    return venv / ("Scripts/python.exe" if WIN else "bin/python")


def ensure_venv() -> Path:
    """Create .venv and `pip install -e .[test]` unless the stamp says pyproject.toml has not changed."""
    venv, py = ROOT / ".venv", venv_python()
    stamp = venv / ".gptedit-stamp"
    key = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if py.exists() and stamp.exists() and stamp.read_text().strip() == key:
        return py
    if not py.exists():
        if run([sys.executable, "-m", "venv", venv]).returncode != 0:
            # Debian's python3 ships venv without ensurepip until python3-venv is installed.
            apt_install([f"python3.{sys.version_info.minor}-venv"])
            shutil.rmtree(venv, ignore_errors=True)
            if run([sys.executable, "-m", "venv", venv]).returncode != 0:
                raise BuildError("could not create .venv: install your distribution's python3-venv package")
    if run([py, "-m", "pip", "install", "-e", ".[test]"], cwd=ROOT).returncode != 0:
        raise BuildError("pip install -e '.[test]' failed (see pip's message above)")
    stamp.write_text(key + "\n")
    return py


def pip_command() -> list[str]:
    """pip from the python running build.py if it has one, else from the project's venv."""
    probe = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True)
    return [sys.executable, "-m", "pip"] if probe.returncode == 0 else [str(ensure_venv()), "-m", "pip"]


# --------------------------------------------------------------------------------------- vendor stack
def read_lock(path: Path = LOCK) -> list[dict]:
    """shared/vendor.lock: `name==version --hash=sha256:HEX` lines, pip's own requirements syntax."""
    entries = []
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)\s+--hash=sha256:([0-9a-f]{64})", line)
        if not m:
            raise BuildError(f"{path}: cannot read {line!r}; expected name==version --hash=sha256:<64 hex>")
        name, version, digest = m.groups()
        entries.append({"name": name, "module": re.sub(r"[-.]+", "_", name).lower(),
                        "version": version, "sha256": digest})
    if not entries:
        raise BuildError(f"{path} lists no packages")
    return entries


def _cached_wheel(entry: dict, cache: Path) -> Path | None:
    for wheel in sorted(cache.glob(f"{entry['module']}-{entry['version']}-*.whl")):
        if sha256_file(wheel) == entry["sha256"]:
            return wheel
    return None


def fetch_wheels(lock: list[dict], cache: Path = WHEEL_CACHE) -> dict[str, Path]:
    """The locked wheels, from the cache or downloaded by pip with --require-hashes.

    pip uses whatever index the machine's pip configuration names; this file never names one."""
    cache.mkdir(parents=True, exist_ok=True)
    missing = [e for e in lock if _cached_wheel(e, cache) is None]
    if missing:
        with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
            req = Path(tmp) / "requirements.txt"
            req.write_text("".join(f"{e['name']}=={e['version']} --hash=sha256:{e['sha256']}\n"
                                   for e in missing))
            # --platform any + --implementation py admit only py3-none-any wheels, so pip cannot pick a
            # compiled charset_normalizer that would run on this machine only.
            cmd = pip_command() + ["download", "--require-hashes", "--no-deps", "--only-binary=:all:",
                                   "--platform", "any", "--python-version", "3.10", "--implementation",
                                   "py", "--dest", tmp, "-r", str(req)]
            if run(cmd).returncode != 0:
                raise BuildError("pip could not download the wheels in shared/vendor.lock (see above)")
            for wheel in Path(tmp).glob("*.whl"):
                os.replace(wheel, cache / wheel.name)
    found = {}
    for entry in lock:
        wheel = _cached_wheel(entry, cache)
        if wheel is None:
            raise BuildError(f"no wheel of {entry['name']} {entry['version']} matches the hash in vendor.lock")
        found[entry["module"]] = wheel
    return found


# Files of the wheels rewritten wholesale. requests.packages aliases top-level modules it finds in
# sys.modules ("requests.packages.urllib3" is "urllib3"); ours aliases the vendored ones instead.
REQUESTS_PACKAGES = '''\
"""Rewritten by gptedit's build.py: the `requests.packages.*` aliases point at gptedit's vendored copies
instead of top-level packages, so importing requests never imports or aliases a top-level urllib3/idna."""

import importlib
import sys

from .compat import chardet

_VENDOR = "gptedit._vendor."
for _package in ("gptedit._vendor.urllib3", "gptedit._vendor.idna"):
    locals()[_package[len(_VENDOR):]] = importlib.import_module(_package)
    for _mod in list(sys.modules):
        if _mod == _package or _mod.startswith(_package + "."):
            sys.modules[__name__ + "." + _mod[len(_VENDOR):]] = sys.modules[_mod]

if chardet is not None:
    _target = chardet.__name__
    for _mod in list(sys.modules):
        if _mod == _target or _mod.startswith(_target + "."):
            sys.modules[__name__ + ".chardet" + _mod[len(_target):]] = sys.modules[_mod]
'''
# Exact-text patches for dynamic imports that the AST pass cannot see; a version bump that changes the
# text fails the build here instead of shipping a silent top-level import.
TEXT_PATCHES = {
    # requests prefers a top-level `chardet` if one is importable; we ship and use charset_normalizer only.
    "requests/compat.py": [('for lib in ("chardet", "charset_normalizer"):',
                            'for lib in ("gptedit._vendor.charset_normalizer",):')],
}
VENDOR_PREFIX = "gptedit._vendor"
BLOCKED = {"chardet"}  # optional top-level packages requests would pick up from the host: never import
# Calls whose first argument names a package to import or to read resources from (certifi's files("certifi")).
IMPORTISH_CALLS = {"import_module", "__import__", "files", "get_path", "path", "read_text", "read_binary",
                   "open_text", "open_binary", "contents", "is_resource", "find_spec", "as_file"}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _guarded_by_import_error(node: ast.AST, parents: dict) -> bool:
    """True if node sits in the body of a `try` that handles ImportError (an optional import)."""
    while node in parents:
        parent = parents[node]
        if isinstance(parent, ast.Try) and node in parent.body:
            for handler in parent.handlers:
                names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                if handler.type is None or any(getattr(n, "id", "") in ("ImportError", "ModuleNotFoundError",
                                                                        "Exception") for n in names):
                    return True
        node = parent
    return False


def _call_name(call: ast.Call) -> str:
    return getattr(call.func, "id", None) or getattr(call.func, "attr", "")


def rewrite_vendored_source(source: bytes, vendored: set[str], where: str) -> bytes:
    """Point every absolute import of a vendored package at gptedit._vendor.<pkg> (pip's vendoring idea).

    Works on the AST, so docstrings and comments that merely mention `import urllib3` stay as they are.
    Replacements keep the line count, so tracebacks from the artifact match the upstream line numbers."""
    tree = ast.parse(source, filename=where)
    parents = _parents(tree)
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(lineno: int, col: int) -> int:  # ast columns are UTF-8 byte offsets
        return starts[lineno - 1] + col

    def top(name: str | None) -> str:
        return (name or "").split(".")[0]

    edits: list[tuple[int, int, bytes]] = []
    for node in ast.walk(tree):
        begin = offset(node.lineno, node.col_offset) if hasattr(node, "lineno") else 0
        if isinstance(node, ast.ImportFrom) and node.level == 0 and top(node.module) in vendored | BLOCKED:
            if top(node.module) in BLOCKED:
                if not _guarded_by_import_error(node, parents):
                    raise BuildError(f"{where}:{node.lineno}: unguarded import of {node.module}")
                new = b'raise ImportError("not vendored into gptedit")'
                edits.append((begin, offset(node.end_lineno, node.end_col_offset),
                              new + b"\n" * (node.end_lineno - node.lineno)))
                continue
            m = re.compile(rb"from\s+").match(source, begin)
            mod = node.module.encode()
            if not m or source[m.end():m.end() + len(mod)] != mod:
                raise BuildError(f"{where}:{node.lineno}: cannot locate the module name to rewrite")
            edits.append((m.end(), m.end() + len(mod), f"{VENDOR_PREFIX}.{node.module}".encode()))
        elif isinstance(node, ast.Import) and any(top(a.name) in vendored | BLOCKED for a in node.names):
            parts = []
            for alias in node.names:
                head, _, rest = alias.name.partition(".")
                as_ = f" as {alias.asname}" if alias.asname else ""
                if head in BLOCKED:
                    if not _guarded_by_import_error(node, parents):
                        raise BuildError(f"{where}:{node.lineno}: unguarded import of {alias.name}")
                    parts.append('raise ImportError("not vendored into gptedit")')
                elif head not in vendored:
                    parts.append(f"import {alias.name}{as_}")
                elif not rest:
                    parts.append(f"from {VENDOR_PREFIX} import {head}{as_}")
                elif alias.asname:
                    pkg, _, leaf = alias.name.rpartition(".")
                    parts.append(f"from {VENDOR_PREFIX}.{pkg} import {leaf}{as_}")
                else:  # `import a.b` binds `a` and loads a.b
                    parts.append(f'__import__("{VENDOR_PREFIX}.{alias.name}"); '
                                 f"from {VENDOR_PREFIX} import {head}")
            edits.append((begin, offset(node.end_lineno, node.end_col_offset),
                          "; ".join(parts).encode() + b"\n" * (node.end_lineno - node.lineno)))
        elif isinstance(node, ast.Call) and _call_name(node) in IMPORTISH_CALLS and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and top(arg.value) in vendored:
                edits.append((offset(arg.lineno, arg.col_offset), offset(arg.end_lineno, arg.end_col_offset),
                              json.dumps(f"{VENDOR_PREFIX}.{arg.value}").encode()))
    for begin, end, new in sorted(edits, reverse=True):
        source = source[:begin] + new + source[end:]
    return source


def find_top_level_uses(source: bytes, names: set[str], where: str, allow: set[str] = frozenset(),
                        name_lists: bool = False) -> list[str]:
    """Every way `source` could still import a top-level package in `names`: import statements and
    import-like calls with a literal package name, and with name_lists also tuples/lists of such names
    (requests loops over one). Used to verify the vendoring rewrite, and the core."""
    tree = ast.parse(source, filename=where)
    parents = _parents(tree)
    found = []
    for node in ast.walk(tree):
        hits: list[str] = []
        if isinstance(node, ast.Import):
            hits = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            hits = [node.module or ""]
        elif isinstance(node, ast.Call) and _call_name(node) in IMPORTISH_CALLS and node.args:
            arg = node.args[0]
            hits = [arg.value] if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else []
        elif name_lists and isinstance(node, (ast.Tuple, ast.List)):
            hits = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        for hit in hits:
            if hit.split(".")[0] in names and hit.split(".")[0] not in allow:
                guarded = " (optional)" if _guarded_by_import_error(node, parents) else ""
                found.append(f"{where}:{node.lineno}: {hit}{guarded}")
    return found


def _license_of(metadata: str) -> str:
    for key in ("License-Expression", "License"):
        m = re.search(rf"^{key}: (.+)$", metadata, re.M)
        if m:
            return m.group(1).strip()
    return "see license file"


def build_vendor_tree(lock: list[dict], wheels: dict[str, Path]) -> dict[str, bytes]:
    """gptedit/_vendor/**: each locked wheel's package, imports rewritten, with its license files."""
    vendored = {e["module"] for e in lock}
    files: dict[str, bytes] = {}
    notes = []
    for entry in lock:
        mod = entry["module"]
        with zipfile.ZipFile(wheels[mod]) as whl:
            dist_info = next(n.split("/")[0] for n in whl.namelist() if n.split("/")[0].endswith(".dist-info"))
            entry["license"] = _license_of(whl.read(f"{dist_info}/METADATA").decode("utf-8", "replace"))
            for name in sorted(whl.namelist()):
                head = name.split("/")[0]
                if name.endswith("/"):
                    continue
                if head == dist_info:
                    base = name.rsplit("/", 1)[-1]
                    if re.match(r"(LICEN[CS]E|NOTICE|COPYING|AUTHORS)", base, re.I):
                        files[f"{mod}/{base}"] = whl.read(name)
                    continue
                if head != mod:
                    raise BuildError(f"{wheels[mod].name} has {name} outside its package; refusing to vendor it")
                data = whl.read(name)
                rel = name
                if rel == "requests/packages.py":
                    data = REQUESTS_PACKAGES.encode()
                for old, new in TEXT_PATCHES.get(rel, []):
                    if old.encode() not in data:
                        raise BuildError(f"{rel} changed upstream: patch target {old!r} is gone; "
                                         f"review build.py TEXT_PATCHES for {entry['name']} {entry['version']}")
                    data = data.replace(old.encode(), new.encode())
                if rel.endswith((".py", ".pyi")):
                    data = rewrite_vendored_source(data, vendored, rel)
                    left = find_top_level_uses(data, vendored | BLOCKED, rel, name_lists=True)
                    if left:
                        raise BuildError("top-level imports survived the vendoring rewrite:\n  " + "\n  ".join(left))
                    compile(data, rel, "exec")
                files[rel] = data
        notes.append(f"{entry['name']} {entry['version']} ({entry['license']}) -> gptedit._vendor.{mod}")
    files["__init__.py"] = (
        b'"""Third-party packages vendored by build.py from shared/vendor.lock; see README.txt."""\n')
    files["README.txt"] = (
        "Vendored by gptedit's build.py from the wheels pinned (with sha256) in shared/vendor.lock:\n\n  "
        + "\n  ".join(notes) + "\n\n"
        "Each package keeps its own license file(s) in its folder and stays under that license.\n"
        "The only changes: absolute imports of these packages (and certifi's/requests' by-name lookups) are\n"
        "renamed to gptedit._vendor.<package>, requests/packages.py aliases the vendored modules, and\n"
        "requests looks for charset_normalizer only (never a top-level chardet). The source is included.\n"
    ).encode()
    return {f"_vendor/{k}": v for k, v in files.items()}


# ------------------------------------------------------------------------------------------ artifacts
def source_files(folder: Path, skip=lambda rel: False) -> dict[str, Path]:
    """Files under folder (relative posix path -> path), without caches, bytecode and symlinks."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if (any(p in SKIP_NAMES for p in rel.parts) or path.suffix in (".pyc", ".pyo") or path.is_symlink()
                or not path.is_file() or skip(rel)):
            continue
        out[rel.as_posix()] = path
    return out


def core_tree() -> dict[str, bytes]:
    """shared/gptedit without the command line and the sandbox, checked to import nothing a host lacks."""
    if not (CORE / "__init__.py").exists():
        raise BuildError(f"{CORE} has no __init__.py")
    files = source_files(CORE, skip=lambda rel: bool(CORE_SKIP.match(rel.parts[0])) or rel.parts[0] == "_vendor")
    tree, problems = {}, []
    for rel, path in files.items():
        data = path.read_bytes()
        if rel.endswith(".py"):
            allow = {"requests", "certifi"} if rel == "_deps.py" else set()
            problems += find_top_level_uses(data, CORE_BANNED, f"shared/gptedit/{rel}", allow)
            problems += _relative_imports_of_left_out(data, rel)
        tree[rel] = data
    if problems:
        raise BuildError("the core imports something the plugin artifacts do not ship (DESIGN.md: no Pillow, "
                         "Qt, gi, krita; requests only via _deps; no cli/sandbox):\n  " + "\n  ".join(problems))
    return tree


def _relative_imports_of_left_out(source: bytes, rel: str) -> list[str]:
    """Relative imports of the parts left out of the artifacts (cli, sandbox) would fail inside a host."""
    tree = ast.parse(source, filename=rel)
    parents = _parents(tree)
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == rel.count("/") + 1:  # from the package root
            for name in [node.module] if node.module else [a.name for a in node.names]:
                head = name.split(".")[0]
                if (CORE_SKIP.match(head) or CORE_SKIP.match(head + ".py")) and not _guarded_by_import_error(
                        node, parents):
                    bad.append(f"shared/gptedit/{rel}:{node.lineno}: imports .{name}, left out of the artifacts")
    return bad


def git_info() -> dict:
    def git(*args: str) -> str:
        try:
            r = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
            return r.stdout.strip() if r.returncode == 0 else ""
        except OSError:
            return ""
    commit = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", "shared", "krita_plugin",
                     "gimp_plugin", "build.py")) if commit else None
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
    wrong = [f"{k}={v}" for k, v in want.items() if entry.get(k) != v] + ([] if entry.get("Name") else ["Name=..."])
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
    info = {"name": "gptedit", "version": version, **git_info(), "python_requires": ">=3.10",
            "vendored": {e["module"]: {"name": e["name"], "version": e["version"], "wheel_sha256": e["sha256"],
                                       "license": e["license"]} for e in lock}}
    license_text = (ROOT / "LICENSE").read_bytes()

    def artifact(top: str, host: str) -> dict[str, tuple[bytes, int]]:
        files = {f"{top}/lib/gptedit/{rel}": (data, 0o644) for rel, data in lib.items()}
        files[f"{top}/BUILD-INFO.json"] = (json.dumps({**info, "host": host}, indent=2, sort_keys=True).encode()
                                           + b"\n", 0o644)
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


# -------------------------------------------------------------------------------------------- install
def default_krita_dirs() -> tuple[Path, Path]:
    """(resource folder, kritarc) where Krita looks by default on this OS."""
    home = Path.home()
    if WIN:
        return (Path(os.environ.get("APPDATA", home / "AppData/Roaming")) / "krita",
                Path(os.environ.get("LOCALAPPDATA", home / "AppData/Local")) / "kritarc")
    if sys.platform == "darwin":
        return home / "Library/Application Support/krita", home / "Library/Preferences/kritarc"
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local/share")
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return data / "krita", config / "kritarc"


def default_gimp_dirs() -> list[Path]:
    """Existing GIMP 3.x profiles (3.0, 3.2, ...); GIMP3_DIRECTORY wins as it does for GIMP itself."""
    if os.environ.get("GIMP3_DIRECTORY"):
        return [Path(os.environ["GIMP3_DIRECTORY"]).expanduser()]
    home = Path.home()
    if WIN:
        bases = [Path(os.environ.get("APPDATA", home / "AppData/Roaming")) / "GIMP"]
    elif sys.platform == "darwin":
        bases = [home / "Library/Application Support/GIMP"]
    else:
        bases = [Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "GIMP",
                 home / ".var/app/org.gimp.GIMP/config/GIMP"]  # the Flatpak keeps its own profile
    return [p for base in bases for p in sorted(base.glob("3.*")) if p.is_dir()]


def extract(zf: zipfile.ZipFile, prefix: str, dest: Path, strip: str, dry: bool) -> int:
    """Write zip members under `prefix` to dest/<name without strip>, with their Unix modes."""
    count = 0
    for info in zf.infolist():
        if not info.filename.startswith(prefix) or info.filename.endswith("/"):
            continue
        rel = info.filename[len(strip):]
        if rel.startswith("/") or ".." in rel.split("/"):
            raise BuildError(f"unsafe path in archive: {info.filename}")
        count += 1
        if dry:
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(zf.read(info))  # a fresh mtime: GIMP re-queries a plug-in only if it changed
        mode = (info.external_attr >> 16) & 0o777
        if mode and not WIN:
            os.chmod(target, mode)
    return count


def replace_dir(zf: zipfile.ZipFile, prefix: str, dest: Path, dry: bool) -> int:
    """Install folder `prefix` from the zip as dest, replacing an older copy (no stale modules left)."""
    if dry:
        return extract(zf, prefix, dest, prefix, True)
    staging = dest.with_name(dest.name + ".installing")
    shutil.rmtree(staging, ignore_errors=True)
    count = extract(zf, prefix, staging, prefix, False)
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(staging, dest)
    return count


def enable_in_kritarc(kritarc: Path, key: str, dry: bool) -> bool:
    """Set [python] key=true, keeping every other line as Krita wrote it. True if the file changes."""
    text = kritarc.read_text(encoding="utf-8", errors="surrogateescape") if kritarc.exists() else ""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "[python]")
    except StopIteration:
        new_lines = lines + ([""] if lines and lines[-1].strip() else []) + ["[python]", f"{key}=true"]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
        hit = next((i for i in range(start + 1, end) if lines[i].split("=", 1)[0].strip() == key), None)
        new_lines = list(lines)
        if hit is None:
            last = max([i for i in range(start, end) if lines[i].strip()], default=start)
            new_lines.insert(last + 1, f"{key}=true")
        else:
            new_lines[hit] = f"{key}=true"
    new = "\n".join(new_lines) + "\n"
    if new == text:
        return False
    if not dry:
        kritarc.parent.mkdir(parents=True, exist_ok=True)
        kritarc.write_text(new, encoding="utf-8", errors="surrogateescape")
    return True


def _menu_hints(zf: zipfile.ZipFile, host: str) -> list[str]:
    """Menu entries as the plugin declares them, so the message names what the user will really see."""
    if host == "krita":
        root = ElementTree.fromstring(zf.read(f"{KRITA_NAME}.action"))
        return [f"Tools > Scripts > {a.findtext('text').strip()}" for a in root.iter("Action") if a.findtext("text")]
    hints = []
    for name in zf.namelist():
        if name.startswith(f"{GIMP_NAME}/") and name.endswith(".py") and "/lib/" not in name:
            src = zf.read(name).decode("utf-8", "replace")
            hints += [p.replace("<Image>/", "").replace("/", " > ")
                      for p in re.findall(r"add_menu_path\(\s*[\"']([^\"']+)", src)]
    return hints


def cmd_install(args: argparse.Namespace) -> int:
    dist = Path(args.dist_dir)
    version = project_version()
    krita_zip, gimp_zip = dist / f"gptedit-krita-{version}.zip", dist / f"gptedit-gimp-{version}.zip"
    if not (krita_zip.exists() and gimp_zip.exists()):
        krita_zip, gimp_zip = build_dist(dist)
    explicit = args.krita_dir or args.gimp_dir
    verb = "would install" if args.dry_run else "installed"
    todo_next = []
    krita_res, kritarc = default_krita_dirs()
    krita_res = Path(args.krita_dir) if args.krita_dir else None if explicit else krita_res
    kritarc = Path(args.kritarc) if args.kritarc else kritarc
    if krita_res is not None and (args.krita_dir or krita_res.is_dir()):
        with zipfile.ZipFile(krita_zip) as zf:
            n = replace_dir(zf, f"{KRITA_NAME}/", krita_res / "pykrita" / KRITA_NAME, args.dry_run)
            for src, dest in ((f"{KRITA_NAME}.desktop", krita_res / "pykrita"),
                              (f"{KRITA_NAME}.action", krita_res / "actions")):
                extract(zf, src, dest, "", args.dry_run)
            say(f"{verb} Krita plugin: {n} files in {krita_res / 'pykrita' / KRITA_NAME}, "
                f"{krita_res / 'pykrita' / (KRITA_NAME + '.desktop')}, {krita_res / 'actions' / (KRITA_NAME + '.action')}")
            changed = enable_in_kritarc(kritarc, f"enable_{KRITA_NAME}", args.dry_run)
            say(f"{'enabled' if changed else 'already enabled'} in {kritarc} ([python] enable_{KRITA_NAME}=true)")
            menus = ", ".join(_menu_hints(zf, "krita")) or "Tools > Scripts"
        todo_next.append(f"Krita: quit Krita before installing (it rewrites kritarc when it quits), start it again, "
                         f"then use {menus}; the plugin is listed in Settings > Configure Krita > "
                         "Python Plugin Manager.")
    elif krita_res is not None:
        say(f"no Krita resource folder at {krita_res}: start Krita once, or pass --krita-dir")
    gimp_dirs = [Path(d) for d in args.gimp_dir] if args.gimp_dir else [] if explicit else default_gimp_dirs()
    if not gimp_dirs and not explicit:
        say("no GIMP 3 profile found (e.g. ~/.config/GIMP/3.0): start GIMP 3 once, or pass --gimp-dir")
    for profile in gimp_dirs:
        with zipfile.ZipFile(gimp_zip) as zf:
            n = replace_dir(zf, f"{GIMP_NAME}/", profile / "plug-ins" / GIMP_NAME, args.dry_run)
            menus = ", ".join(_menu_hints(zf, "gimp")) or "the Filters menu"
        say(f"{verb} GIMP plug-in: {n} files in {profile / 'plug-ins' / GIMP_NAME}")
        todo_next.append(f"GIMP ({profile.name}): restart GIMP, then open an image and use {menus}.")
    for line in todo_next:
        print("next: " + line)
    if args.dry_run:
        print("(dry run: nothing was written)")
    return 0


# ---------------------------------------------------------------------------------- test, demo, misc
def apt_install(packages: list[str]) -> None:
    """Install missing Debian packages (root on Debian only; elsewhere say what is missing)."""
    def installed(pkg: str) -> bool:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
        return r.returncode == 0 and "install ok installed" in r.stdout
    if not shutil.which("dpkg-query") or not shutil.which("apt-get"):
        say(f"not a Debian system: make sure these are installed: {' '.join(packages)}")
        return
    missing = [p for p in packages if not installed(p)]
    if not missing:
        return
    if os.geteuid() != 0:
        say(f"missing Debian packages (run as root to install): {' '.join(missing)}")
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update"], env=env, stdin=subprocess.DEVNULL)
    if run(["apt-get", "install", "-y", "--no-install-recommends", *missing], env=env,
           stdin=subprocess.DEVNULL).returncode != 0:
        say(f"apt-get could not install {' '.join(missing)}; tests that need them will say so")


def test_packages() -> list[str]:
    """Debian packages the suite needs on the machine itself; tests/hosts may add its own in apt-packages.txt."""
    packages = ["debootstrap", "openssl", "ca-certificates", "util-linux"]
    extra = ROOT / "tests" / "hosts" / "apt-packages.txt"
    if extra.exists():
        packages += [w for line in extra.read_text().splitlines() for w in line.split("#")[0].split()]
    return packages


def start_chroots() -> list[tuple[str, subprocess.Popen, Path]]:
    """Provision both host chroots in parallel while the venv and dist are built (about a minute each)."""
    script = ROOT / "tests" / "hosts" / "make_chroot.sh"
    if not script.exists() or "1" in (os.environ.get("GPTEDIT_NO_PROVISION"), os.environ.get("GPTEDIT_SKIP_HOSTS")):
        return []
    if os.geteuid() != 0:
        say("not root: the host tests' chroots cannot be made here")
        return []
    base = Path(os.environ.get("GPTEDIT_HOSTS_ROOT") or "/var/cache/gptedit-hosts")
    logs = ROOT / "build" / "hosts"
    logs.mkdir(parents=True, exist_ok=True)
    procs = []
    for suite in ("trixie", "testing"):
        log = logs / f"make_chroot-{suite}.log"
        say(f"provisioning the {suite} chroot in {base / suite} in the background (log: {log})")
        with open(log, "wb") as out:
            procs.append((suite, subprocess.Popen(["bash", str(script), str(base / suite), suite], cwd=ROOT,
                                                  stdout=out, stderr=subprocess.STDOUT,
                                                  stdin=subprocess.DEVNULL), log))
    return procs


def cmd_test(args: argparse.Namespace) -> int:
    started = time.monotonic()
    if os.environ.get("GPTEDIT_NO_PROVISION") != "1":
        apt_install(test_packages())
    chroots = start_chroots()
    py = ensure_venv()
    krita_zip, gimp_zip = build_dist(ROOT / "dist")
    for suite, proc, log in chroots:
        rc = proc.wait()
        if rc != 0:
            tail = log.read_text(errors="replace").splitlines()[-15:]
            say(f"provisioning {suite} failed (exit {rc}); the host tests will report it. Log tail:\n  "
                + "\n  ".join(tail))
        else:
            say(f"{suite} chroot ready")
    env = {**os.environ, "GPTEDIT_KRITA_ZIP": str(krita_zip), "GPTEDIT_GIMP_ZIP": str(gimp_zip)}
    say(f"set-up took {time.monotonic() - started:.0f} s; running pytest")
    rc = run([py, "-m", "pytest", "-ra", *args.pytest_args], cwd=ROOT, env=env).returncode
    say(f"pytest exited {rc} after {time.monotonic() - started:.0f} s in total")
    return rc


def cmd_demo(args: argparse.Namespace) -> int:
    py = ensure_venv()
    out = ROOT / "out" / "demo.png"
    out.parent.mkdir(exist_ok=True)
    out.unlink(missing_ok=True)
    rc = run([py, "-m", "gptedit", "edit", "shared/samples/landscape.png", "-p",
              "turn the sky into a warm sunset", "-o", out, "--provider", "sandbox"], cwd=ROOT).returncode
    if rc != 0 or not out.exists():
        say(f"the demo failed (exit {rc}); see the messages above")
        return rc or 1
    print(f"demo result: {out}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    scripts = sorted((ROOT / "tests" / "bench").glob("*.py"))
    if not scripts:
        say("no benchmarks yet (tests/bench/*.py)")
        return 0
    py, worst = ensure_venv(), 0
    for script in scripts:
        worst = max(worst, run([py, script], cwd=ROOT).returncode)
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("venv", help="create or refresh .venv (pip install -e '.[test]')")
    sub.add_parser("demo", help="one edit end to end on the offline sandbox")
    p = sub.add_parser("dist", help="build the Krita and GIMP zips")
    p.add_argument("--out", default=str(ROOT / "dist"), help="folder for the zips (default: dist/)")
    p = sub.add_parser("install", help="install the zips into local Krita and GIMP 3 profiles")
    p.add_argument("--krita-dir", help="Krita resource folder (holds pykrita/ and actions/)")
    p.add_argument("--kritarc", help="kritarc to enable the plugin in (default: this OS's)")
    p.add_argument("--gimp-dir", action="append", default=[], help="GIMP 3 profile folder (repeatable)")
    p.add_argument("--dist-dir", default=str(ROOT / "dist"), help="where the zips are (built if missing)")
    p.add_argument("--dry-run", action="store_true", help="print what would be done, write nothing")
    p = sub.add_parser("test", help="set up everything and run pytest (extra args go to pytest)")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER)
    sub.add_parser("bench", help="run tests/bench/*.py")
    sub.add_parser("lint", help="ruff over the repository")
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["test"]:  # everything after `test` belongs to pytest, even options argparse would claim
        args = argparse.Namespace(command="test", pytest_args=argv[1:])
    else:
        args = parser.parse_args(argv)
    try:
        if args.command == "venv":
            say(f"venv ready: {ensure_venv()}")
            return 0
        if args.command == "dist":
            build_dist(Path(args.out).resolve())
            return 0
        if args.command == "lint":
            return run([ensure_venv(), "-m", "ruff", "check", "."], cwd=ROOT).returncode
        return {"demo": cmd_demo, "install": cmd_install, "test": cmd_test, "bench": cmd_bench}[args.command](args)
    except BuildError as exc:
        print(f"build.py {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
