"""The harness works on the REAL hosts: throwaway plugins (built here, not product code) are installed the way
users install them, run inside Krita and GIMP 3, touch pixels, undo, and reach a server on 127.0.0.1.

The first half needs no host (zip rules, kritarc editing); the second half runs Krita and GIMP in chroots.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from . import hostenv
from .hostenv_core import IN_CHROOT, MAKE_CHROOT, host_problem, upstream_version
from .hostenv_kritazip import kconfig_items, kconfig_set
from .probe_plugins import (
    GIMP_BATCH,
    GIMP_PLUGIN,
    KRITA_SCENARIO,
    PROBE_ACTION,
    PROBE_DESKTOP,
    PROBE_INIT,
    gimp_probe_zip,
    krita_probe_zip,
    make_zip,
)


@pytest.fixture
def loopback_server():
    """A server on 127.0.0.1 OUTSIDE the chroot that answers slowly (1 s), recording each request."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append({"path": self.path, "agent": self.headers.get("User-Agent", "")})
            time.sleep(1.0)
            body = json.dumps({"hello": "from outside", "n": len(seen)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/probe", seen
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------------- no host needed


def test_debian_versions_become_upstream_versions():
    assert upstream_version("1:5.2.9+dfsg-1+deb13u1") == "5.2.9"
    assert upstream_version("1:5.3.4.1+dfsg-1+b1") == "5.3.4.1"
    assert upstream_version("3.0.4-3+deb13u11") == "3.0.4"
    assert upstream_version("3.2.6-1") == "3.2.6"


def test_kconfig_edit_keeps_every_other_line(tmp_path):
    rc = tmp_path / "kritarc"
    rc.write_text(
        "ungrouped=1\n\n[General]\ncanvasState=TRY_OPENGL\n\n[python]\nenable_other=false\n\n[z]\nk=v\n"
    )
    kconfig_set(rc, "python", "enable_harnessprobe", "true")
    kconfig_set(rc, "python", "enable_other", "true")
    kconfig_set(rc, "new group", "a", "b")
    items = kconfig_items(rc)
    assert ("", "ungrouped", "1") in items
    assert ("General", "canvasState", "TRY_OPENGL") in items
    assert ("python", "enable_harnessprobe", "true") in items
    assert ("python", "enable_other", "true") in items and ("python", "enable_other", "false") not in items
    assert ("z", "k", "v") in items and ("new group", "a", "b") in items


def test_krita_zip_installs_like_the_importer(tmp_path):
    profile = tmp_path / "profile"
    stale = profile / ".local/share/krita/pykrita/harnessprobe/old_module.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("# from an older version")
    assert hostenv.install_krita_zip(krita_probe_zip(tmp_path / "p.zip"), profile) == ["harnessprobe"]
    res = profile / ".local/share/krita"
    assert (res / "pykrita/harnessprobe.desktop").read_text() == PROBE_DESKTOP
    assert (res / "pykrita/harnessprobe/__init__.py").read_text() == PROBE_INIT
    assert (res / "actions/harnessprobe.action").read_text() == PROBE_ACTION
    assert not stale.exists(), "the importer replaces the module folder as a whole"
    assert ("python", "enable_harnessprobe", "true") in kconfig_items(profile / ".config/kritarc")


def test_krita_zip_nested_in_a_top_folder_installs(tmp_path):
    z = make_zip(
        tmp_path / "nested.zip",
        {
            "release-1.0/harnessprobe.desktop": PROBE_DESKTOP,
            "release-1.0/harnessprobe/__init__.py": PROBE_INIT,
        },
    )
    assert hostenv.install_krita_zip(z, tmp_path / "profile") == ["harnessprobe"]
    assert not (tmp_path / "profile/.local/share/krita/actions").exists()


def test_krita_zip_without_directory_entries_is_rejected_as_krita_would(tmp_path):
    z = krita_probe_zip(tmp_path / "flat.zip", dir_entries=False)
    with pytest.raises(hostenv.KritaZipError, match="No plugins found"):
        hostenv.install_krita_zip(z, tmp_path / "profile")


@pytest.mark.parametrize(
    "desktop, message",
    [
        (PROBE_DESKTOP.replace("X-KDE-Library=harnessprobe\n", ""), "X-KDE-Library"),
        (PROBE_DESKTOP.replace("Name=Harness probe\n", ""), "Name"),
        (PROBE_DESKTOP.replace("Krita/PythonPlugin", "Krita/Other"), "ServiceTypes"),
        ("not an ini file", "cannot read"),
    ],
)
def test_krita_zip_with_a_bad_desktop_file_is_rejected(tmp_path, desktop, message):
    z = make_zip(
        tmp_path / "bad.zip", {"harnessprobe.desktop": desktop, "harnessprobe/__init__.py": PROBE_INIT}
    )
    with pytest.raises(hostenv.KritaZipError, match=message):
        hostenv.install_krita_zip(z, tmp_path / "profile")
    assert not (tmp_path / "profile/.local/share/krita/pykrita/harnessprobe").exists()


def test_gimp_zip_keeps_the_exec_bit_and_strips_a_top_folder(tmp_path):
    for top in ("", "plug-ins/"):
        profile = tmp_path / f"profile{len(top)}"
        assert hostenv.install_gimp_zip(gimp_probe_zip(tmp_path / "g.zip", top=top), profile) == [
            "harness-probe"
        ]
        script = profile / "plug-ins/harness-probe/harness-probe.py"
        assert script.read_text() == GIMP_PLUGIN
        assert os.stat(script).st_mode & 0o777 == 0o755


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"mode": 0o644}, "not executable"),
        ({"folder": "other-name"}, "folder name == script stem"),
    ],
)
def test_gimp_zip_that_gimp_would_ignore_is_rejected(tmp_path, kw, message):
    with pytest.raises(hostenv.HostError, match=message):
        hostenv.install_gimp_zip(gimp_probe_zip(tmp_path / "g.zip", **kw), tmp_path / "profile")


def test_gimp_zip_with_a_loose_script_is_rejected(tmp_path):
    z = make_zip(tmp_path / "loose.zip", {"harness-probe.py": GIMP_PLUGIN}, modes={"harness-probe.py": 0o755})
    with pytest.raises(hostenv.HostError, match="not inside a plug-in folder"):
        hostenv.install_gimp_zip(z, tmp_path / "profile")


@pytest.mark.skipif(host_problem() is not None, reason=str(host_problem()))
@pytest.mark.parametrize(
    "root, message",
    [
        ("/", "refusing to use system folder"),
        ("{tmp}/unrelated", "is not a chroot made by this script"),
    ],
)
def test_make_chroot_never_deletes_a_folder_it_did_not_make(tmp_path, root, message):
    (tmp_path / "unrelated").mkdir()
    (tmp_path / "unrelated/keep.txt").write_text("precious")
    done = subprocess.run(
        ["bash", str(MAKE_CHROOT), root.format(tmp=tmp_path), "trixie"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and message in done.stderr
    assert (tmp_path / "unrelated/keep.txt").read_text() == "precious"


def _mounts_below(path: Path) -> list[str]:
    return [
        line.split()[4]
        for line in Path("/proc/self/mountinfo").read_text().splitlines()
        if line.split()[4].startswith(str(path))
    ]


def test_in_chroot_binds_at_the_same_path_and_leaves_no_mount_behind(gimp_host, tmp_path):
    root = gimp_host.spec.root
    rw, ro = tmp_path / "rw", tmp_path / "ro"
    rw.mkdir()
    ro.mkdir()
    (rw / "in.txt").write_text("from outside")
    (ro / "r.txt").write_text("read me")
    # out.txt is written last: the test kills the command as soon as it appears, so every line the test
    # reads must already be out by then.
    script = (
        f"cat {rw}/in.txt; echo; cat {ro}/r.txt; echo; "
        f"echo $(ls -A /tmp); touch {ro}/x 2>/dev/null && echo ro-writable || echo ro-readonly; "
        f'echo "$PATH"; echo written > {rw}/out.txt; exec sleep 60'
    )
    cmd = [
        "bash",
        str(IN_CHROOT),
        str(root),
        "-b",
        str(rw),
        "-B",
        str(ro),
        "--",
        "/usr/bin/env",
        "-i",
        "PATH=/usr/bin:/bin",
        "/bin/sh",
        "-c",
        script,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (rw / "out.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        # The chain execs down to the command, so proc.pid IS the command; its mount table, seen from
        # inside the chroot, has the binds at the very paths they have outside, and its own /tmp.
        inside = [line.split()[4] for line in Path(f"/proc/{proc.pid}/mountinfo").read_text().splitlines()]
        assert {str(rw), str(ro), "/tmp", "/proc", "/dev/shm"} <= set(inside)
        assert _mounts_below(root) == [], "the binds exist only in the command's private namespace"
    finally:
        proc.kill()  # kill -9 mid-run
        out, err = proc.communicate(timeout=30)
    lines = out.splitlines()
    assert lines[:2] == ["from outside", "read me"], err
    assert (rw / "out.txt").read_text() == "written\n"
    # A fresh /tmp: only the folders made to hold the binds (when tmp_path itself is below /tmp).
    assert lines[2].split() == ([tmp_path.parts[2]] if tmp_path.parts[1] == "tmp" else [])
    assert lines[3] == "ro-readonly"
    assert lines[4] == "/usr/bin:/bin"
    assert _mounts_below(root) == []
    assert not (root / str(rw).lstrip("/") / "in.txt").exists(), "nothing of the bind is left in the chroot"


# ------------------------------------------------------------------------------------ real Krita


def test_krita_runs_an_imported_plugin_edits_pixels_undoes_and_reaches_loopback(
    krita_host, tmp_path, loopback_server
):
    url, seen = loopback_server
    profile = tmp_path / "profile"
    assert krita_host.install(krita_probe_zip(tmp_path / "probe.zip"), profile) == ["harnessprobe"]
    scenario = tmp_path / "scenario.py"
    scenario.write_text(KRITA_SCENARIO)

    report = krita_host.run(profile, scenario, timeout=90, params={"url": url})

    data = report["data"]
    assert report["host"]["krita"] == krita_host.version
    assert {"harnessprobe", "gptedit_test_driver"} <= set(data["plugins"])
    assert data["action_found"]
    assert data["action_text"] == "Harness Probe Ping", "text comes from the installed .action file"
    assert data["action_shortcut"] == "Ctrl+Alt+Shift+H"
    assert data["menu_path"] == ["Tools", "Scripts"]
    assert data["triggered"] == ["harness"]
    assert data["after_add"] == ["Background", "added"]
    assert data["added_pixel"] == [255, 0, 0, 255]
    assert data["composite_at_added"] == [255, 0, 0, 255]
    assert data["undo_settled"] and data["after_undo"] == ["Background"]
    assert data["composite_after_undo"] == [0, 0, 255, 255], "undo removed the layer; setPixelData stays"
    assert data["http"] == {"status": 200, "body": {"hello": "from outside", "n": 1}}
    assert seen == [{"path": "/probe?from=krita", "agent": seen[0]["agent"]}]
    assert data["gui"]["ticks"] >= 5, "the GUI thread kept running while the worker waited ~1 s"
    assert report["thread_errors"] == []


def test_krita_scenario_failures_are_reported_not_hung(krita_host, tmp_path):
    scenario = tmp_path / "failing.py"
    scenario.write_text("def run(ctx):\n    ctx.report(step=1)\n    assert 1 + 1 == 3, 'arithmetic broke'\n")
    with pytest.raises(hostenv.HostRunError, match="arithmetic broke"):
        krita_host.run(None, scenario, timeout=60)

    # An exception outside the scenario's own call (here: a raw Qt timer, as in a plugin's slot) would make
    # Krita open a modal dialog and hang; the driver records it and exits instead.
    scenario.write_text(
        "import sys\n"
        "QTimer = sys.modules.get('PyQt6.QtCore', sys.modules.get('PyQt5.QtCore')).QTimer\n"
        "def boom():\n    raise ValueError('raised in a Qt slot')\n"
        "def run(ctx):\n    QTimer.singleShot(0, boom)\n"
    )
    report = krita_host.run(None, scenario, timeout=60, check=False)
    assert report["status"] == "error"
    assert "ValueError: raised in a Qt slot" in report["traceback"]


def test_krita_frozen_gui_trips_the_watchdog_with_stacks(krita_host, tmp_path):
    scenario = tmp_path / "frozen.py"
    scenario.write_text("import time\ndef run(ctx):\n    time.sleep(600)  # blocks the GUI thread\n")
    # The scenario's watchdog counts from the scenario's start, so however long Krita takes to show its
    # window, it finds the GUI thread inside the scenario.
    report = krita_host.run(None, scenario, timeout=5, check=False)
    assert report["status"] == "watchdog" and report["error"] == "no result within 5 s"
    assert "time.sleep(600)" in report["stacks"]["MainThread"]


def test_krita_can_be_killed_mid_run_and_restarted_on_the_same_profile(krita_host, tmp_path):
    profile = tmp_path / "profile"
    hold = tmp_path / "hold.py"
    hold.write_text("def run(ctx):\n    ctx.report(ready=True)\n")  # never calls done: Krita stays up
    proc = krita_host.start(profile, hold, timeout=120)
    try:
        proc.wait_report(lambda r: r["data"].get("ready"), timeout=90)
        krita_pid = proc.krita_pid()
        assert krita_pid is not None and Path(f"/proc/{krita_pid}").exists()
        proc.kill_krita()
        assert proc.poll() is not None
        assert not Path(f"/proc/{krita_pid}").exists()
    finally:
        proc.kill()
    again = tmp_path / "again.py"
    again.write_text("def run(ctx):\n    ctx.done(plugins=ctx.user_plugins())\n")
    report = krita_host.run(profile, again, timeout=90)
    assert report["data"]["plugins"] == ["gptedit_test_driver"]


# ------------------------------------------------------------------------------------- real GIMP


def test_gimp_runs_an_installed_plugin_from_batch_code_and_reaches_loopback(
    gimp_host, tmp_path, loopback_server
):
    url, seen = loopback_server
    profile = tmp_path / "profile"
    assert gimp_host.install(gimp_probe_zip(tmp_path / "probe.zip"), profile) == ["harness-probe"]

    rc, out, err = gimp_host.batch(profile, f"URL = {url!r}\n" + GIMP_BATCH, timeout=90)

    assert rc == 0, err
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    assert lines, f"no RESULT line\n--- stdout ---\n{out}\n--- stderr ---\n{err}"
    result = json.loads(lines[-1][len("RESULT ") :])
    assert result["version"] == gimp_host.version
    assert result["registered"]
    assert result["menu_paths"] == ["<Image>/Filters/Harness"]
    assert result["menu_label"] == "Harness probe"
    assert result["layers"] == ['hello {"hello": "from outside", "n": 1}', "bg"]
    assert result["pixel"] == [0, 128, 255, 255]
    assert result["fail_status"] == "execution-error"
    assert any("asked to fail" in v for v in result["fail_message"])
    assert result["layers_after_fail"] == 2
    assert [s["path"] for s in seen] == ["/probe?from=gimp"]


def test_gimp_batch_errors_surface_in_the_exit_code(gimp_host, tmp_path):
    rc, out, err = gimp_host.batch(None, "raise RuntimeError('batch code broke')\n", timeout=60)
    assert rc == 64
    assert "batch code broke" in out + err


def test_gimp_batch_can_be_killed_mid_run(gimp_host, tmp_path):
    proc = gimp_host.start_batch(
        tmp_path / "profile", "import time\nprint('READY', flush=True)\ntime.sleep(600)\n"
    )
    try:
        deadline = time.monotonic() + 90
        while "READY" not in proc.stdout() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert "READY" in proc.stdout(), proc.stderr_tail()
        assert proc.poll() is None
    finally:
        code = proc.kill()
    assert code == -9
