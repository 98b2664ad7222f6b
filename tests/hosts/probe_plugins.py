"""Throwaway plugins for the harness tests (NOT product code): a Krita extension with a .action file, a GIMP 3
plug-in with a string argument, the scenario and batch code that drive them, and a zip writer that can
leave out directory entries the way a careless build script would."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from . import hostenv

# ----------------------------------------------------------------------------------- throwaway plugins

PROBE_DESKTOP = """[Desktop Entry]
Type=Service
ServiceTypes=Krita/PythonPlugin
X-KDE-Library=harnessprobe
X-Python-2-Compatible=false
Name=Harness probe
Comment=Throwaway plugin of gptedit's harness tests
"""

# Empty text in createAction: Krita must take it (and the shortcut) from the installed .action file.
PROBE_INIT = """
from krita import Extension, Krita

TRIGGERED = []


class HarnessProbe(Extension):
    def setup(self):
        pass

    def createActions(self, window):
        action = window.createAction("harnessprobe_ping", "", "tools/scripts")
        action.triggered.connect(self.ping)

    def ping(self):
        doc = Krita.instance().activeDocument()
        TRIGGERED.append(doc.name() if doc else None)


Krita.instance().addExtension(HarnessProbe(Krita.instance()))
"""

PROBE_ACTION = """<?xml version="1.0" encoding="UTF-8"?>
<ActionCollection version="2" name="Scripts">
  <Actions category="Scripts">
    <text>Harness probe</text>
    <Action name="harnessprobe_ping">
      <icon></icon>
      <text>Harness Probe Ping</text>
      <whatsThis></whatsThis>
      <toolTip>Ping the harness</toolTip>
      <iconText>Ping</iconText>
      <activationFlags>10000</activationFlags>
      <activationConditions>0</activationConditions>
      <shortcut>ctrl+alt+shift+h</shortcut>
      <isCheckable>false</isCheckable>
      <statusTip></statusTip>
    </Action>
  </Actions>
</ActionCollection>
"""

KRITA_SCENARIO = r"""
import json
import sys
import threading
import urllib.request

if "PyQt6.QtCore" in sys.modules:  # Krita 6 has loaded PyQt6 (and refuses PyQt5)
    from PyQt6.QtCore import QByteArray
else:
    from PyQt5.QtCore import QByteArray


def run(ctx):
    k = ctx.krita
    out = {"plugins": ctx.user_plugins()}
    act = k.action("harnessprobe_ping")
    out["action_found"] = act is not None
    out["action_text"] = act.text() if act else None
    out["action_shortcut"] = act.shortcut().toString() if act else None
    out["menu_path"] = ctx.menu_path("harnessprobe_ping")

    doc = ctx.new_document(8, 6, "harness")
    import harnessprobe
    act.trigger()
    out["triggered"] = list(harnessprobe.TRIGGERED)

    background = doc.topLevelNodes()[0]
    background.setPixelData(QByteArray(bytes([0, 0, 255, 255]) * 48), 0, 0, 8, 6)  # BGRA red
    layer = doc.createNode("added", "paintlayer")
    layer.setPixelData(QByteArray(bytes([255, 0, 0, 255]) * 4), 2, 3, 2, 2)  # blue, before inserting
    doc.rootNode().addChildNode(layer, None)
    doc.waitForDone()
    doc.refreshProjection()
    out["after_add"] = [n.name() for n in doc.topLevelNodes()]
    out["added_pixel"] = list(bytes(layer.pixelData(2, 3, 1, 1)))
    out["composite_at_added"] = list(bytes(doc.pixelData(2, 3, 1, 1)))
    k.action("edit_undo").trigger()
    out["undo_settled"] = ctx.wait_for(lambda: len(doc.topLevelNodes()) == 1, timeout=10)
    doc.refreshProjection()
    out["after_undo"] = [n.name() for n in doc.topLevelNodes()]
    out["composite_after_undo"] = list(bytes(doc.pixelData(2, 3, 1, 1)))
    ctx.report(out)

    # Asynchronous end: a worker thread waits on the (slow) server while the GUI keeps ticking.
    ticker = ctx.ticker(20)
    result = {}

    def fetch():
        with urllib.request.urlopen(ctx.params["url"] + "?from=krita", timeout=20) as resp:
            result["status"] = resp.status
            result["body"] = json.loads(resp.read())
        ctx.call_in_gui(lambda: ctx.done(http=result, gui=ticker.stop()))

    threading.Thread(target=fetch, name="harness-http").start()
"""

GIMP_PLUGIN = r"""#!/usr/bin/env python3
import sys
import urllib.request

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, GLib, GObject

NAME = "python-fu-harness-probe"


def run(procedure, run_mode, image, drawables, config, data):
    text = config.get_property("text")
    if text == "fail":
        error = GLib.Error.new_literal(GLib.quark_from_string("harness-probe"), "asked to fail", 0)
        return procedure.new_return_values(Gimp.PDBStatusType.EXECUTION_ERROR, error)
    url = config.get_property("url")
    body = ""
    if url:
        with urllib.request.urlopen(url + "?from=gimp", timeout=20) as resp:
            body = resp.read().decode()
    w, h = image.get_width(), image.get_height()
    image.undo_group_start()
    layer = Gimp.Layer.new(image, f"{text} {body}", w, h, Gimp.ImageType.RGBA_IMAGE, 100.0,
                           Gimp.LayerMode.NORMAL)
    image.insert_layer(layer, None, 0)
    buf = layer.get_buffer()
    buf.set(Gegl.Rectangle.new(0, 0, w, h), "R'G'B'A u8", bytes([0, 128, 255, 255]) * (w * h))
    buf.flush()
    layer.update(0, 0, w, h)
    image.undo_group_end()
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


class HarnessProbe(Gimp.PlugIn):
    def do_query_procedures(self):
        return [NAME]

    def do_set_i18n(self, name):
        return False

    def do_create_procedure(self, name):
        proc = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, run, None)
        proc.set_image_types("RGB*")
        proc.set_menu_label("Harness probe")
        proc.add_menu_path("<Image>/Filters/Harness")
        proc.set_documentation("Harness probe", "Throwaway plug-in of gptedit's harness tests", name)
        proc.set_attribution("gptedit tests", "gptedit tests", "2026")
        proc.add_string_argument("text", "Text", "Name of the new layer", "", GObject.ParamFlags.READWRITE)
        proc.add_string_argument("url", "URL", "Fetched before inserting", "", GObject.ParamFlags.READWRITE)
        return proc


Gimp.main(HarnessProbe.__gtype__, sys.argv)
"""


def make_zip(
    path: Path, files: dict[str, str], *, dir_entries: bool = True, modes: dict[str, int] | None = None
):
    """A zip like a build script would write; dir_entries=False leaves out the 'folder/' members."""
    modes = modes or {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        written: set[str] = set()
        for name, text in files.items():
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                folder = "/".join(parts[:i]) + "/"
                if dir_entries and folder not in written:
                    info = zipfile.ZipInfo(folder)
                    info.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10
                    zf.writestr(info, b"")
                    written.add(folder)
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | modes.get(name, 0o644)) << 16
            zf.writestr(info, text)
    return path


def krita_probe_zip(path: Path, **kw) -> Path:
    return make_zip(
        path,
        {
            "harnessprobe.desktop": PROBE_DESKTOP,
            "harnessprobe/__init__.py": PROBE_INIT,
            "harnessprobe.action": PROBE_ACTION,
        },
        **kw,
    )


def gimp_probe_zip(path: Path, *, mode: int = 0o755, folder: str = "harness-probe", top: str = "") -> Path:
    name = f"{top}{folder}/harness-probe.py"
    return make_zip(path, {name: GIMP_PLUGIN}, modes={name: mode})


GIMP_BATCH = (
    hostenv.GIMP_PRELUDE
    + r"""
import json
img = Gimp.Image.new(16, 8, Gimp.ImageBaseType.RGB)
bg = Gimp.Layer.new(img, "bg", 16, 8, Gimp.ImageType.RGB_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
img.insert_layer(bg, None, 0)
proc = Gimp.get_pdb().lookup_procedure("python-fu-harness-probe")
out = {"registered": proc is not None, "version": Gimp.version()}
out["menu_paths"] = list(proc.get_menu_paths())
out["menu_label"] = proc.get_menu_label()
call_procedure("python-fu-harness-probe", img, [bg], text="hello", url=URL)
layers = img.get_layers()
out["layers"] = [layer.get_name() for layer in layers]
out["pixel"] = list(rgba_pixels(layers[0], 3, 3, 1, 1))
status, values = call_procedure("python-fu-harness-probe", img, [bg], check=False, text="fail", url="")
out["fail_status"] = status.value_nick
out["fail_message"] = [str(v) for v in values]
out["layers_after_fail"] = len(img.get_layers())
img.delete()
print("RESULT " + json.dumps(out))
"""
)
