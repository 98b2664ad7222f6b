"""Installing a Krita plugin zip exactly as Krita's Tools > Scripts > Import Python Plugin from File does,
and enabling it in kritarc the way the Python Plugin Manager does (stdlib only; no Krita needed).

Profile layout (a fake HOME): resources in PROFILE/.local/share/krita (pykrita/, actions/), kritarc in
PROFILE/.config.
"""

from __future__ import annotations

import configparser
import os
import shutil
import zipfile
from pathlib import Path

from .hostenv_core import HostError


class KritaZipError(HostError):
    """The zip would be rejected by Krita's "Import Python Plugin from File" (or load nothing)."""


# ------------------------------------------------------------------------------------------ kritarc


def kconfig_set(path: Path, group: str, key: str, value: str) -> None:
    """Set one key in a KConfig file (kritarc) by editing lines, leaving everything else byte-identical.

    configparser would rewrite KConfig's ungrouped head, escaped values and `[a][b]` groups.
    """
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    header = f"[{group}]"
    start = next((i for i, line in enumerate(lines) if line.strip() == header), None)
    if start is None:
        if lines and lines[-1].strip():
            lines.append("")
        lines += [header, f"{key}={value}"]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
        for i in range(start + 1, end):
            if lines[i].split("=", 1)[0].strip() == key:
                lines[i] = f"{key}={value}"
                break
        else:
            insert_at = end
            while insert_at > start + 1 and not lines[insert_at - 1].strip():
                insert_at -= 1
            lines.insert(insert_at, f"{key}={value}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def kconfig_items(path: Path) -> list[tuple[str, str, str]]:
    """(group, key, value) for every key of a KConfig file; the ungrouped head is group ''."""
    items: list[tuple[str, str, str]] = []
    group = ""
    if not path.exists():
        return items
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("[") and line.rstrip().endswith("]"):
            group = line.strip()[1:-1]
        elif "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            items.append((group, key.strip(), value))
    return items


def krita_dirs(profile: Path) -> dict[str, Path]:
    profile = Path(profile)
    return {
        "home": profile,
        "data": profile / ".local/share",
        "config": profile / ".config",
        "cache": profile / ".cache",
        "resources": profile / ".local/share/krita",
        "kritarc": profile / ".config/kritarc",
    }


def enable_krita_plugin(profile: Path, name: str, enabled: bool = True) -> None:
    """What Settings ▸ Python Plugin Manager writes: kritarc [python] enable_<name>=true."""
    kconfig_set(krita_dirs(profile)["kritarc"], "python", f"enable_{name}", "true" if enabled else "false")


# ------------------------------------------------------------------------------------ plugin import


def _importer_plugins(archive: zipfile.ZipFile) -> list[dict]:
    """The plugins Krita's plugin_importer finds in a zip (plugins/python/plugin_importer in Krita).

    Its rules, which a product zip must satisfy:
    - every member ending in .desktop is read as an ini file; each must have [Desktop Entry] with
      X-KDE-Library and Name, or the whole import fails;
    - the module is a DIRECTORY ENTRY named "<X-KDE-Library>/" (top level or ".../<name>/") that has
      "<entry>__init__.py" beside it in the member list: a zip written without directory entries has no
      module and the desktop file is silently ignored;
    - "<name>.action" anywhere in the zip is the optional action file.
    """
    names = archive.namelist()
    found = []
    for desktop in (n for n in names if n.endswith(".desktop")):
        ini = configparser.ConfigParser(interpolation=None)
        try:
            ini.read_string(archive.read(desktop).decode("utf-8"))
            entry = ini["Desktop Entry"]
            name, ui_name = entry["X-KDE-Library"], entry["Name"]
        except (configparser.Error, UnicodeDecodeError, KeyError) as exc:
            raise KritaZipError(f"{desktop}: Krita's importer cannot read it ({exc!r})") from exc
        module = next(
            (n for n in names if (n == f"{name}/" or n.endswith(f"/{name}/")) and f"{n}__init__.py" in names),
            None,
        )
        if module is None:
            continue
        action = next(
            (n for n in names if n.endswith(".action") and n.rsplit("/", 1)[-1] == f"{name}.action"), None
        )
        found.append(
            {
                "name": name,
                "ui_name": ui_name,
                "desktop": desktop,
                "module": module,
                "action": action,
                "service_types": entry.get("ServiceTypes", ""),
            }
        )
    return found


def install_krita_zip(
    zip_path: os.PathLike | str, profile_dir: os.PathLike | str, *, enable: bool = True
) -> list[str]:
    """Install a plugin zip exactly as Tools ▸ Scripts ▸ Import Python Plugin from File does; enable it.

    Copies pykrita/<name>.desktop, pykrita/<name>/ (replacing an older copy) and actions/<name>.action
    into the profile's resource folder, then writes [python] enable_<name>=true into kritarc (the step the
    user does by hand in the Python Plugin Manager). Returns the plugin names.
    Raises KritaZipError for a zip the importer rejects ("No plugins found in archive", unreadable desktop
    file) and, beyond the importer, for a desktop file Krita's plugin manager would not load
    (ServiceTypes other than Krita/PythonPlugin).
    """
    zip_path = Path(zip_path)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise KritaZipError(f"{zip_path}: not a readable zip ({exc})") from exc
    with archive:
        plugins = _importer_plugins(archive)
        if not plugins:
            raise KritaZipError(
                f"{zip_path}: Krita would say 'No plugins found in archive': it needs a .desktop file "
                "whose X-KDE-Library names a folder that has __init__.py, stored WITH its directory entry "
                "('name/')"
            )
        for plugin in plugins:
            if plugin["service_types"].strip() != "Krita/PythonPlugin":
                raise KritaZipError(
                    f"{plugin['desktop']}: ServiceTypes is {plugin['service_types']!r}; Krita only loads "
                    f"Krita/PythonPlugin"
                )
        resources = krita_dirs(Path(profile_dir))["resources"]
        pykrita, actions = resources / "pykrita", resources / "actions"
        pykrita.mkdir(parents=True, exist_ok=True)
        for plugin in plugins:
            name, prefix = plugin["name"], plugin["module"]
            (pykrita / f"{name}.desktop").write_bytes(archive.read(plugin["desktop"]))
            target = pykrita / name
            if target.exists():
                shutil.rmtree(target)
            for member in archive.infolist():
                if not member.filename.startswith(prefix) or member.is_dir():
                    continue
                rel = member.filename[len(prefix) :]
                dest = (target / rel).resolve()
                if not str(dest).startswith(str(target.resolve()) + os.sep):
                    raise KritaZipError(f"{member.filename}: path leaves the plugin folder")
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(archive.read(member))
            if plugin["action"]:
                actions.mkdir(parents=True, exist_ok=True)
                (actions / f"{name}.action").write_bytes(archive.read(plugin["action"]))
            if enable:
                enable_krita_plugin(Path(profile_dir), name)
        return [p["name"] for p in plugins]
