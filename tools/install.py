"""`build.py install`: the zips into this user's Krita resource folder and GIMP 3 profiles, the way
Krita's "Import Python Plugin" and a manual unzip would, and the plugin enabled in kritarc."""

from __future__ import annotations

import os
import re
import shutil
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from .common import GIMP_NAME, KRITA_NAME, WIN, BuildError, say
from .dist import build_dist, project_version


def default_krita_dirs() -> tuple[Path, Path]:
    """(resource folder, kritarc) where Krita looks by default on this OS."""
    home = Path.home()
    if WIN:
        return (
            Path(os.environ.get("APPDATA", home / "AppData/Roaming")) / "krita",
            Path(os.environ.get("LOCALAPPDATA", home / "AppData/Local")) / "kritarc",
        )
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
        bases = [
            Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "GIMP",
            home / ".var/app/org.gimp.GIMP/config/GIMP",
        ]  # the Flatpak keeps its own profile
    return [p for base in bases for p in sorted(base.glob("3.*")) if p.is_dir()]


def extract(zf: zipfile.ZipFile, prefix: str, dest: Path, strip: str, dry: bool) -> int:
    """Write zip members under `prefix` to dest/<name without strip>, with their Unix modes."""
    count = 0
    for info in zf.infolist():
        if not info.filename.startswith(prefix) or info.filename.endswith("/"):
            continue
        rel = info.filename[len(strip) :]
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
        return [
            f"Tools > Scripts > {a.findtext('text').strip()}"
            for a in root.iter("Action")
            if a.findtext("text")
        ]
    hints = []
    for name in zf.namelist():
        if name.startswith(f"{GIMP_NAME}/") and name.endswith(".py") and "/lib/" not in name:
            src = zf.read(name).decode("utf-8", "replace")
            hints += [
                p.replace("<Image>/", "").replace("/", " > ")
                for p in re.findall(r"add_menu_path\(\s*[\"']([^\"']+)", src)
            ]
    return hints


def install(
    dist: Path,
    krita_dir: str | None = None,
    kritarc_path: str | None = None,
    gimp_dirs: list[str] | None = None,
    dry_run: bool = False,
) -> int:
    """Install into the given folders, or into every default Krita/GIMP 3 profile that exists."""
    version = project_version()
    krita_zip, gimp_zip = dist / f"gptedit-krita-{version}.zip", dist / f"gptedit-gimp-{version}.zip"
    if not (krita_zip.exists() and gimp_zip.exists()):
        krita_zip, gimp_zip = build_dist(dist)
    explicit = krita_dir or gimp_dirs
    verb = "would install" if dry_run else "installed"
    todo_next = []
    krita_res, kritarc = default_krita_dirs()
    krita_res = Path(krita_dir) if krita_dir else None if explicit else krita_res
    kritarc = Path(kritarc_path) if kritarc_path else kritarc
    if krita_res is not None and (krita_dir or krita_res.is_dir()):
        pykrita = krita_res / "pykrita"
        with zipfile.ZipFile(krita_zip) as zf:
            n = replace_dir(zf, f"{KRITA_NAME}/", pykrita / KRITA_NAME, dry_run)
            for src, dest in (
                (f"{KRITA_NAME}.desktop", pykrita),
                (f"{KRITA_NAME}.action", krita_res / "actions"),
            ):
                extract(zf, src, dest, "", dry_run)
            say(
                f"{verb} Krita plugin: {n} files in {pykrita / KRITA_NAME}, "
                f"{pykrita / (KRITA_NAME + '.desktop')}, {krita_res / 'actions' / (KRITA_NAME + '.action')}"
            )
            changed = enable_in_kritarc(kritarc, f"enable_{KRITA_NAME}", dry_run)
            state = "enabled" if changed else "already enabled"
            say(f"{state} in {kritarc} ([python] enable_{KRITA_NAME}=true)")
            menus = ", ".join(_menu_hints(zf, "krita")) or "Tools > Scripts"
        todo_next.append(
            "Krita: quit Krita before installing (it rewrites kritarc when it quits), start it "
            f"again, then use {menus}; the plugin is listed in Settings > Configure Krita > "
            "Python Plugin Manager."
        )
    elif krita_res is not None:
        say(f"no Krita resource folder at {krita_res}: start Krita once, or pass --krita-dir")
    profiles = [Path(d) for d in gimp_dirs] if gimp_dirs else [] if explicit else default_gimp_dirs()
    if not profiles and not explicit:
        say("no GIMP 3 profile found (e.g. ~/.config/GIMP/3.0): start GIMP 3 once, or pass --gimp-dir")
    for profile in profiles:
        with zipfile.ZipFile(gimp_zip) as zf:
            n = replace_dir(zf, f"{GIMP_NAME}/", profile / "plug-ins" / GIMP_NAME, dry_run)
            menus = ", ".join(_menu_hints(zf, "gimp")) or "the Filters menu"
        say(f"{verb} GIMP plug-in: {n} files in {profile / 'plug-ins' / GIMP_NAME}")
        todo_next.append(f"GIMP ({profile.name}): restart GIMP, then open an image and use {menus}.")
    for line in todo_next:
        print("next: " + line)
    if dry_run:
        print("(dry run: nothing was written)")
    return 0
