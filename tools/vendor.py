"""The pure-Python requests stack pinned in shared/vendor.lock, vendored as gptedit._vendor.

Every import of it is rewritten so that Krita's single shared interpreter never mixes our copy with another
plugin's `requests` (the idea of pip's own vendoring)."""

from __future__ import annotations

import ast
import json
import os
import re
import tempfile
import zipfile
from pathlib import Path

from .common import LOCK, WHEEL_CACHE, BuildError, run, sha256_file
from .imports import IMPORTISH_CALLS, call_name, find_top_level_uses, guarded_by_import_error, parents_of
from .venv import pip_command


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
        entries.append(
            {
                "name": name,
                "module": re.sub(r"[-.]+", "_", name).lower(),
                "version": version,
                "sha256": digest,
            }
        )
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
            req.write_text(
                "".join(f"{e['name']}=={e['version']} --hash=sha256:{e['sha256']}\n" for e in missing)
            )
            # --platform any + --implementation py admit only py3-none-any wheels, so pip cannot pick a
            # compiled charset_normalizer that would run on this machine only.
            cmd = pip_command() + [
                "download",
                "--require-hashes",
                "--no-deps",
                "--only-binary=:all:",
                "--platform",
                "any",
                "--python-version",
                "3.10",
                "--implementation",
                "py",
                "--dest",
                tmp,
                "-r",
                str(req),
            ]
            if run(cmd).returncode != 0:
                raise BuildError("pip could not download the wheels in shared/vendor.lock (see above)")
            for wheel in Path(tmp).glob("*.whl"):
                os.replace(wheel, cache / wheel.name)
    found = {}
    for entry in lock:
        wheel = _cached_wheel(entry, cache)
        if wheel is None:
            raise BuildError(
                f"no wheel of {entry['name']} {entry['version']} matches the hash in vendor.lock"
            )
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
    "requests/compat.py": [
        (
            'for lib in ("chardet", "charset_normalizer"):',
            'for lib in ("gptedit._vendor.charset_normalizer",):',
        )
    ],
}
VENDOR_PREFIX = "gptedit._vendor"
BLOCKED = {"chardet"}  # optional top-level packages requests would pick up from the host: never import


def rewrite_vendored_source(source: bytes, vendored: set[str], where: str) -> bytes:
    """Point every absolute import of a vendored package at gptedit._vendor.<pkg> (pip's vendoring idea).

    Works on the AST, so docstrings and comments that merely mention `import urllib3` stay as they are.
    Replacements keep the line count, so tracebacks from the artifact match the upstream line numbers."""
    tree = ast.parse(source, filename=where)
    parents = parents_of(tree)
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
                if not guarded_by_import_error(node, parents):
                    raise BuildError(f"{where}:{node.lineno}: unguarded import of {node.module}")
                new = b'raise ImportError("not vendored into gptedit")'
                edits.append(
                    (
                        begin,
                        offset(node.end_lineno, node.end_col_offset),
                        new + b"\n" * (node.end_lineno - node.lineno),
                    )
                )
                continue
            m = re.compile(rb"from\s+").match(source, begin)
            mod = node.module.encode()
            if not m or source[m.end() : m.end() + len(mod)] != mod:
                raise BuildError(f"{where}:{node.lineno}: cannot locate the module name to rewrite")
            edits.append((m.end(), m.end() + len(mod), f"{VENDOR_PREFIX}.{node.module}".encode()))
        elif isinstance(node, ast.Import) and any(top(a.name) in vendored | BLOCKED for a in node.names):
            parts = []
            for alias in node.names:
                head, _, rest = alias.name.partition(".")
                as_ = f" as {alias.asname}" if alias.asname else ""
                if head in BLOCKED:
                    if not guarded_by_import_error(node, parents):
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
                    parts.append(
                        f'__import__("{VENDOR_PREFIX}.{alias.name}"); from {VENDOR_PREFIX} import {head}'
                    )
            edits.append(
                (
                    begin,
                    offset(node.end_lineno, node.end_col_offset),
                    "; ".join(parts).encode() + b"\n" * (node.end_lineno - node.lineno),
                )
            )
        elif isinstance(node, ast.Call) and call_name(node) in IMPORTISH_CALLS and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and top(arg.value) in vendored:
                edits.append(
                    (
                        offset(arg.lineno, arg.col_offset),
                        offset(arg.end_lineno, arg.end_col_offset),
                        json.dumps(f"{VENDOR_PREFIX}.{arg.value}").encode(),
                    )
                )
    for begin, end, new in sorted(edits, reverse=True):
        source = source[:begin] + new + source[end:]
    return source


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
            dist_info = next(
                n.split("/")[0] for n in whl.namelist() if n.split("/")[0].endswith(".dist-info")
            )
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
                    raise BuildError(
                        f"{wheels[mod].name} has {name} outside its package; refusing to vendor it"
                    )
                data = whl.read(name)
                rel = name
                if rel == "requests/packages.py":
                    data = REQUESTS_PACKAGES.encode()
                for old, new in TEXT_PATCHES.get(rel, []):
                    if old.encode() not in data:
                        raise BuildError(
                            f"{rel} changed upstream: patch target {old!r} is gone; "
                            "review TEXT_PATCHES in tools/vendor.py for "
                            f"{entry['name']} {entry['version']}"
                        )
                    data = data.replace(old.encode(), new.encode())
                if rel.endswith((".py", ".pyi")):
                    data = rewrite_vendored_source(data, vendored, rel)
                    left = find_top_level_uses(data, vendored | BLOCKED, rel, name_lists=True)
                    if left:
                        raise BuildError(
                            "top-level imports survived the vendoring rewrite:\n  " + "\n  ".join(left)
                        )
                    compile(data, rel, "exec")
                files[rel] = data
        notes.append(f"{entry['name']} {entry['version']} ({entry['license']}) -> gptedit._vendor.{mod}")
    files["__init__.py"] = (
        b'"""Third-party packages vendored by build.py from shared/vendor.lock; see README.txt."""\n'
    )
    files["README.txt"] = (
        "Vendored by gptedit's build.py from the wheels pinned (with sha256) in shared/vendor.lock:\n\n  "
        + "\n  ".join(notes)
        + "\n\n"
        "Each package keeps its own license file(s) in its folder and stays under that license.\n"
        "The only changes: absolute imports of these packages (and certifi's/requests' by-name lookups) are\n"
        "renamed to gptedit._vendor.<package>, requests/packages.py aliases the vendored modules, and\n"
        "requests looks for charset_normalizer only (never a top-level chardet). The source is included.\n"
    ).encode()
    return {f"_vendor/{k}": v for k, v in files.items()}
