"""Runs the plugin's docker and worker under PyQt6 offscreen with the stub `krita` (stub/krita.py) against
an in-process sandbox; prints one JSON line with what it saw. Started by test_qt6_offscreen.py in its own
process so the Qt6 application and the stub never meet the rest of the test session."""

import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path[:0] = [str(HERE / "stub"), str(ROOT / "krita_plugin"), str(ROOT / "shared")]

from PyQt6.QtCore import QEventLoop, QTimer  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

W, H = 64, 48


def pattern():
    return bytes(
        v
        for y in range(H)
        for x in range(W)
        for v in ((x * 7 + y * 3) % 256, (x * 5 + y * 11) % 256, (x * 13 + y) % 256, 255)
    )


def pump_until(cond, timeout, turns):
    """Turn the event loop (10 ms a turn) until cond() holds; each finished turn is appended to `turns`."""
    loop = QEventLoop()
    deadline = time.monotonic() + timeout  # only against a hang
    while not cond() and time.monotonic() < deadline:
        QTimer.singleShot(10, loop.quit)
        loop.exec()
        turns.append(True)
    return cond()


def main():
    app = QApplication([])
    from gptedit.sandbox import Sandbox

    sb = Sandbox(port=0).start()
    os.environ.update(
        {
            "GPTEDIT_PROVIDER": "eachlabs",
            "GPTEDIT_EACHLABS_BASE_URL": sb.base_urls["eachlabs"],
            "EACHLABS_API_KEY": "test",
        }
    )
    sb.configure(latency=1.0, answer_size="input")  # placement checked pixel for pixel, as on real Krita
    import krita
    from gptedit_krita import qt

    k = krita.Krita.instance()
    out = {"qt_major": qt.QT_MAJOR, "extensions": len(k.extensions), "factories": [f.id for f in k.factories]}
    k.extensions[0].createActions(k.window)
    out["action_text"] = k.action("gptedit_edit").text()
    docker = k.factories[0].klass()
    docker.show()
    doc = krita.Document(W, H)
    k.docs.append(doc)
    k.setActiveDocument(doc)
    art = doc.createNode("art", "paintlayer")
    art.setPixelData(pattern(), 0, 0, W, H)
    doc.rootNode().addChildNode(art, None)
    doc.setActiveNode(art)
    sel = krita.Selection(W, H)
    sel.select(40, 8, 24, 20, 255)
    doc.setSelection(sel)
    before = bytes(doc.pixelData(0, 0, W, H))
    mask = bytes(sel.pixelData(0, 0, W, H))
    undo_before = len(doc.undo_steps)

    docker.set_prompt("[invert] under Qt6")
    docker.update_estimate()
    out["estimate"] = docker.cost_label.text()
    # The sandbox holds the job running until the GUI's event loop has turned 20 times: a worker that blocked
    # the GUI thread on the network would never let it, and the job would never end.
    sb.configure(hold="processing")
    job = docker.start_edit()
    out["started"] = job is not None
    turns: list = []
    pump_until(lambda: len(turns) >= 20, 60, turns)
    out["turns_while_held"], out["done_while_held"] = len(turns), job is not None and job.done
    sb.configure(hold=None)
    pump_until(lambda: job.done, 30, [])
    out["state"], out["message"] = job.state, docker.message()
    out["layers"] = [
        [n.name(), n.type(), [c.type() for c in n.childNodes()]] for n in doc.rootNode().childNodes()
    ]
    out["undo_steps"] = len(doc.undo_steps) - undo_before
    after = bytes(doc.pixelData(0, 0, W, H))
    inside = outside = 0
    for i in range(W * H):
        b, a = before[4 * i : 4 * i + 4], after[4 * i : 4 * i + 4]
        if mask[i]:
            want = bytes([255 - b[0], 255 - b[1], 255 - b[2], b[3]])
            inside = max(inside, max(abs(p - q) for p, q in zip(want, a, strict=True)))
        else:
            outside = max(outside, max(abs(p - q) for p, q in zip(b, a, strict=True)))
    out["diff"] = [inside, outside]
    out["job_rows"] = docker.jobs.tree.topLevelItemCount()
    # Ctrl+Enter in the prompt sends like the Edit button
    from PyQt6.QtCore import Qt
    from PyQt6.QtTest import QTest

    docker.activateWindow()
    docker.prompt.setFocus()
    docker.set_prompt("[identity] by keyboard")
    pump_until(lambda: False, 0.2, [])
    QTest.keyClick(docker.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    out["keyboard_job"] = docker.last_job is not None and docker.last_job.prompt == "[identity] by keyboard"
    if docker.last_job is not None:
        pump_until(lambda: docker.last_job.done, 30, [])
    # Settings ▸ Test connection: a key typed for OpenAI (not saved) is checked against the sandbox on a
    # worker thread while the GUI keeps ticking; then the saved default (each::labs) from the environment
    from gptedit_krita.settings_page import SettingsDialog

    dialog = SettingsDialog()
    dialog.show()
    dialog.provider.setCurrentText("openai-responses")
    dialog.key_fields["openai"].setText("typed-key-1234")
    dialog.url_fields["openai"].setText(sb.base_urls["openai"])
    dialog.test_button.click()
    out["test_busy"] = not dialog.test_button.isEnabled()  # the click came back before the check ended
    pump_until(lambda: dialog.test_button.isEnabled(), 30, [])
    out["test_result"] = dialog.test_result.text()
    dialog.key_fields["openai"].setText("invalid")
    dialog.test_button.click()
    pump_until(lambda: dialog.test_button.isEnabled(), 30, [])
    out["test_refused"] = dialog.test_result.text()
    dialog.close()
    shot = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if shot:
        out["screenshot"] = docker.grab().save(str(shot), "PNG")
    sb.stop()
    print("RESULT " + json.dumps(out))
    app.quit()


if __name__ == "__main__":
    main()
