"""The built zip through Krita's OWN importer (Tools ▸ Scripts ▸ Import Python Plugin from File…, the
plugin_importer that ships with Krita), in every Krita version: the files land in the resource folder,
the plugin is enabled, and after a restart it loads with its menu entry and docker. The other Krita tests
install with the harness's copy of the importer's rules (tests/hosts/hostenv_kritazip.py); this one keeps
that copy honest."""

from __future__ import annotations

import shutil
from pathlib import Path

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def test_krita_own_importer_installs_the_built_zip(krita_host, krita_zip, tmp_path):
    drop = tmp_path / "download"
    drop.mkdir()
    zip_copy = drop / krita_zip.name
    shutil.copy(krita_zip, zip_copy)
    profile = tmp_path / "profile"

    report = krita_host.run(
        profile, SCENARIOS / "real_import.py", timeout=60, binds=[drop], params={"zip": str(zip_copy)}
    )
    data = report["data"]
    assert data["errors"] == []
    assert data["importer"].startswith("plugin_importer")
    resources = profile / ".local/share/krita"
    assert data["resources"].rstrip("/") == str(resources)
    assert (resources / "pykrita/gptedit_krita.desktop").is_file()
    assert (resources / "pykrita/gptedit_krita/__init__.py").is_file()
    assert (resources / "pykrita/gptedit_krita/lib/gptedit/__init__.py").is_file()  # the bundled core
    assert (resources / "actions/gptedit_krita.action").is_file()
    assert data["enabled"] == "true"

    report = krita_host.run(profile, SCENARIOS / "after_import.py", timeout=60)
    data = report["data"]
    assert "gptedit_krita" in data["plugins"], data
    assert data["menu"] == ["Tools", "Scripts"]
    assert data["action_text"].replace("&", "") == "Edit with GPT Image…"
    assert data["action_tooltip"].startswith("Open the GPT Image Edit docker")
    assert data["docker_title"] == "GPT Image Edit"
