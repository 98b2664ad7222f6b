"""Krita 6 readiness: the docker and the worker run under PyQt6 (offscreen) with a stub `krita` module;
every Qt import goes through gptedit_krita/qt.py, so this exercises the Qt6 side of the shim end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_docker_and_worker_under_pyqt6(tmp_path):
    pytest.importorskip("PyQt6.QtWidgets", reason="pip install PyQt6 (the `test` extra)")
    shot = tmp_path / "docker-qt6.png"
    done = subprocess.run(
        [sys.executable, str(HERE / "qt6_driver.py"), str(shot)], capture_output=True, text=True, timeout=120
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stdout + done.stderr
    out = json.loads(lines[-1][len("RESULT ") :])
    assert out["qt_major"] == 6
    assert out["extensions"] == 1 and out["factories"] == ["gptedit_docker"]
    assert out["action_text"] == "Edit with GPT Image…"
    assert out["estimate"].startswith("Estimated cost: $")
    assert out["started"] is True
    assert out["state"] == "inserted", out["message"]
    assert out["layers"][-1][1:] == ["paintlayer", ["transparencymask"]]
    assert out["undo_steps"] == 1
    assert out["diff"][0] <= 1 and out["diff"][1] == 0, out["diff"]
    assert out["job_rows"] == 1
    assert out["keyboard_job"] is True  # Ctrl+Enter in the prompt sends, like the Edit button
    # the event loop kept turning while the sandbox held the job: the GUI thread never waited on the network
    assert out["turns_while_held"] >= 20 and out["done_while_held"] is False, out
    assert out["screenshot"] is True and shot.stat().st_size > 2000
    # Settings ▸ Test connection runs off the GUI thread and says in words what works
    assert out["test_busy"] is True
    assert "Key accepted" in out["test_result"] and "gpt-4.1-mini" in out["test_result"], out["test_result"]
    assert "typed-key-1234" not in out["test_result"] and "…1234" in out["test_result"]
    assert "Key refused" in out["test_refused"] and "Traceback" not in out["test_refused"]
