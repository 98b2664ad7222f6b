"""`build.py dist` makes zips that Krita's importer and GIMP accept, byte-identical on every build, and
`build.py install` lays them out in Krita and GIMP 3 profiles."""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import re
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from tools.dist import git_info

ROOT = Path(__file__).resolve().parents[2]
KRITA, GIMP = "gptedit_krita", "gptedit-gimp"
LEFT_OUT = re.compile(r"/lib/gptedit/(sandbox/|cli(_\w+)?(\.py|/)|__main__\.py)")


def _vendor_helpers():
    # Only the two test files are this suite's (no conftest.py): share build_zips() by loading the other one.
    spec = importlib.util.spec_from_file_location("gptedit_test_vendor_helpers", Path(__file__).with_name(
        "test_vendor.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_helpers = _vendor_helpers()


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    # A snapshot, so both builds of the determinism test see the same files while others edit the repo.
    return _helpers.snapshot_sources(tmp_path_factory.mktemp("src"))


@pytest.fixture(scope="module")
def zips(sources, tmp_path_factory) -> tuple[Path, Path]:
    return _helpers.run_dist(sources, tmp_path_factory.mktemp("dist"))


def version() -> str:
    init = (ROOT / "shared/gptedit/__init__.py").read_text()
    return re.search(r'__version__\s*=\s*"([^"]+)"', init).group(1)


def mode_of(info: zipfile.ZipInfo) -> int:
    return info.external_attr >> 16


def krita_importer_finds(zf: zipfile.ZipFile) -> list[dict]:
    """What Krita's "Import Python Plugin from File" does with a zip, as its documentation and source
    describe:
    every .desktop names a module (X-KDE-Library); the module is a folder entry `<name>/` (or `.../<name>/`)
    holding `__init__.py`; an optional `<name>.action` anywhere in the zip."""
    names = zf.namelist()
    found = []
    for desktop in [n for n in names if n.endswith(".desktop")]:
        cfg = configparser.ConfigParser()
        cfg.read_string(zf.read(desktop).decode("utf-8"))
        name = cfg["Desktop Entry"]["X-KDE-Library"]
        module = next((n for n in names if (n == f"{name}/" or n.endswith(f"/{name}/"))
                       and f"{n}__init__.py" in names), None)
        action = next((n for n in names if n.rsplit("/", 1)[-1] == f"{name}.action"), None)
        if module:
            found.append({"name": name, "ui_name": cfg["Desktop Entry"]["Name"], "desktop": desktop,
                          "entry": cfg["Desktop Entry"], "module": module, "action": action})
    return found


def test_krita_zip_is_accepted_by_krita_importer(zips):
    with zipfile.ZipFile(zips[0]) as zf:
        plugins = krita_importer_finds(zf)
        assert [p["name"] for p in plugins] == [KRITA]
        plugin = plugins[0]
        assert plugin["entry"]["ServiceTypes"] == "Krita/PythonPlugin"
        assert plugin["entry"]["Type"] == "Service"
        assert plugin["ui_name"].strip()
        assert plugin["module"] == f"{KRITA}/" and plugin["desktop"] == f"{KRITA}.desktop"
        assert plugin["action"] == f"{KRITA}.action"
        root = ET.fromstring(zf.read(plugin["action"]))
        assert root.tag == "ActionCollection"
        assert [a.get("name") for a in root.iter("Action")], "the .action file declares no action"
        names = set(zf.namelist())
    for need in ("lib/gptedit/__init__.py", "lib/gptedit/_deps.py", "lib/gptedit/_vendor/__init__.py",
                 "lib/gptedit/_vendor/requests/__init__.py", "lib/gptedit/_vendor/certifi/cacert.pem",
                 "BUILD-INFO.json", "LICENSE"):
        assert f"{KRITA}/{need}" in names, need


def test_gimp_zip_holds_the_plugin_folder_with_an_executable_script(zips):
    with zipfile.ZipFile(zips[1]) as zf:
        infos = zf.infolist()
        assert {i.filename.split("/")[0] for i in infos} == {GIMP}
        script = zf.getinfo(f"{GIMP}/{GIMP}.py")
        assert stat.S_ISREG(mode_of(script)) and mode_of(script) & 0o111 == 0o111
        assert zf.read(script).startswith(b"#!/usr/bin/env python3")
        executables = [i.filename for i in infos if not i.is_dir() and mode_of(i) & 0o111]
        assert executables == [script.filename], "GIMP would try to run any other executable file"
        names = set(zf.namelist())
    for need in ("lib/gptedit/_deps.py", "lib/gptedit/_vendor/urllib3/__init__.py", "BUILD-INFO.json"):
        assert f"{GIMP}/{need}" in names, need


@pytest.mark.parametrize("which", [0, 1], ids=["krita", "gimp"])
def test_artifact_carries_core_and_vendor_but_no_cli_or_sandbox(zips, which):
    top = (KRITA, GIMP)[which]
    with zipfile.ZipFile(zips[which]) as zf:
        names = zf.namelist()
        info = json.loads(zf.read(f"{top}/BUILD-INFO.json"))
    assert [n for n in names if LEFT_OUT.search(n)] == []
    assert [n for n in names if n.endswith((".pyc", ".pyo")) or "__pycache__" in n] == []
    core = sorted(p.relative_to(ROOT / "shared/gptedit").as_posix()
                  for p in (ROOT / "shared/gptedit").rglob("*.py")
                  if "__pycache__" not in p.parts and not LEFT_OUT.search("/lib/gptedit/" + p.relative_to(
                      ROOT / "shared/gptedit").as_posix()))
    shipped = sorted(n.split("/lib/gptedit/", 1)[1] for n in names
                     if "/lib/gptedit/" in n and n.endswith(".py") and "/_vendor/" not in n)
    assert shipped == core
    for package in ("requests", "urllib3", "idna", "charset_normalizer", "certifi"):
        assert f"{top}/lib/gptedit/_vendor/{package}/__init__.py" in names
    assert info["version"] == version() and info["host"] == ("krita", "gimp")[which]
    assert set(info["vendored"]) == {"requests", "urllib3", "idna", "charset_normalizer", "certifi"}
    # the official provider clients judge the sandbox in tests (the `test` extra); never in a plugin
    judges = re.compile(r"/(openai|replicate|fal_client|httpx|httpx2|pydantic|anyio)/")
    assert [n for n in names if judges.search(n)] == []
    lock = (ROOT / "shared/vendor.lock").read_text()
    for entry in info["vendored"].values():
        assert f"{entry['name']}=={entry['version']} --hash=sha256:{entry['wheel_sha256']}" in lock
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", info["git_commit"])


def test_build_info_names_the_git_commit():
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    info = git_info()
    assert info["git_commit"] == head.stdout.strip() and isinstance(info["git_dirty"], bool)


def test_zips_are_deterministic(sources, zips, tmp_path):
    again = _helpers.run_dist(sources, tmp_path)
    for first, second in zip(zips, again, strict=True):
        assert first.name == second.name and first.name.endswith(f"-{version()}.zip")
        assert first.read_bytes() == second.read_bytes(), f"{first.name} differs between two builds"
    with zipfile.ZipFile(zips[0]) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def run_install(tmp: Path, dist: Path, *args: str) -> subprocess.CompletedProcess:
    """build.py install with HOME and the XDG folders inside tmp, so nothing real is touched."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GIMP3_DIRECTORY", "XDG_DATA_HOME", "XDG_CONFIG_HOME")}
    env.update(HOME=str(tmp / "home"), XDG_DATA_HOME=str(tmp / "home/.local/share"),
               XDG_CONFIG_HOME=str(tmp / "home/.config"))
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "install", "--dist-dir", str(dist), *args],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_install_into_given_profiles(zips, tmp_path):
    krita_dir, gimp_dir, kritarc = tmp_path / "krita", tmp_path / "gimp3", tmp_path / "kritarc"
    kritarc.write_text("[General]\nfoo=bar\n\n[python]\nenable_other=true\nenable_gptedit_krita=false\n\n"
                       "[theme]\nTheme=Krita dark\n")
    stale = krita_dir / "pykrita" / KRITA / "stale_module.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("left from an older version")
    args = ("--krita-dir", str(krita_dir), "--gimp-dir", str(gimp_dir), "--kritarc", str(kritarc))
    done = run_install(tmp_path, zips[0].parent, *args)

    pykrita = krita_dir / "pykrita"
    assert (pykrita / f"{KRITA}.desktop").read_bytes() == zipfile.ZipFile(zips[0]).read(f"{KRITA}.desktop")
    assert (pykrita / KRITA / "__init__.py").is_file()
    assert (pykrita / KRITA / "lib/gptedit/_vendor/certifi/cacert.pem").is_file()
    assert (krita_dir / "actions" / f"{KRITA}.action").is_file()
    assert not stale.exists(), "an older install's files must not linger"
    text = kritarc.read_text()
    assert "enable_gptedit_krita=true" in text and "enable_gptedit_krita=false" not in text
    assert "[General]\nfoo=bar" in text and "enable_other=true" in text
    assert "[theme]\nTheme=Krita dark" in text
    script = gimp_dir / "plug-ins" / GIMP / f"{GIMP}.py"
    assert script.is_file() and os.access(script, os.X_OK)
    assert (gimp_dir / "plug-ins" / GIMP / "lib/gptedit/_deps.py").is_file()
    assert "restart" in done.stdout.lower()

    run_install(tmp_path, zips[0].parent, *args)  # again: same result, the key is not duplicated
    assert kritarc.read_text().count("enable_gptedit_krita") == 1


def test_install_dry_run_writes_nothing(zips, tmp_path):
    krita_dir, gimp_dir = tmp_path / "krita", tmp_path / "gimp3"
    done = run_install(tmp_path, zips[0].parent, "--krita-dir", str(krita_dir), "--gimp-dir", str(gimp_dir),
                       "--kritarc", str(tmp_path / "kritarc"), "--dry-run")
    assert not krita_dir.exists() and not gimp_dir.exists() and not (tmp_path / "kritarc").exists()
    assert "would install" in done.stdout


def test_install_finds_the_default_profiles_that_exist(zips, tmp_path):
    home = tmp_path / "home"
    for folder in (".local/share/krita", ".config/GIMP/3.0", ".config/GIMP/3.2"):
        (home / folder).mkdir(parents=True)
    run_install(tmp_path, zips[0].parent)
    assert (home / ".local/share/krita/pykrita" / KRITA / "__init__.py").is_file()
    assert "enable_gptedit_krita=true" in (home / ".config/kritarc").read_text()
    for gimp in ("3.0", "3.2"):
        assert (home / ".config/GIMP" / gimp / "plug-ins" / GIMP / f"{GIMP}.py").is_file()
    assert not (home / ".config/GIMP/3.4").exists()


@pytest.mark.parametrize("module, needle", [
    ("import PIL.Image\n", "PIL.Image"),
    ("from . import sandbox\n", ".sandbox"),
    ("import requests\n", "requests"),  # only _deps may import it, so the vendored copy is always used
], ids=["pillow", "sandbox", "requests-directly"])
def test_dist_refuses_a_core_that_imports_what_hosts_lack(tmp_path, module, needle):
    root = _helpers.snapshot_sources(tmp_path / "src")
    (root / "shared/gptedit/offender.py").write_text(module)
    done = subprocess.run([sys.executable, str(root / "build.py"), "dist", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "GPTEDIT_WHEEL_CACHE": str(ROOT / "build/wheels")})
    assert done.returncode == 2
    assert "shared/gptedit/offender.py:1" in done.stderr and needle in done.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.zip"))
