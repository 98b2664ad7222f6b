"""Test seams for the real-host tests — inert unless GPTEDIT_GIMP_TEST_HOOK_FILE names an existing file.

Real GIMP is driven from batch code whose procedure call blocks until the plug-in returns, and under Xvfb
nobody clicks. So the test writes a small JSON file between calls, and these hooks stand in for the person:
answer a dialog, press Cancel after some seconds, delete the edited layer while the job runs. The window's
own measurements (timer ticks, the longest gap between them) are written back, so a test can tell whether
the progress window kept responding. Users never set the variable; nothing here runs for them.
"""

from __future__ import annotations

import json
import os


def hooks() -> dict:
    path = os.environ.get("GPTEDIT_GIMP_TEST_HOOK_FILE")
    if not path or not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(**data) -> None:
    """Append one JSON line to the file the hooks name under "report" (if any)."""
    path = hooks().get("report")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(data) + "\n")


def screenshot(widget, name: str) -> None:
    """Save a PNG of a window into the folder the hooks name under "screenshots" (to look at the layout)."""
    folder = hooks().get("screenshots")
    window = widget.get_window() if widget is not None else None
    if not folder or window is None:
        return
    from gi.repository import Gdk

    pix = Gdk.pixbuf_get_from_window(window, 0, 0, window.get_width(), window.get_height())
    if pix is not None:
        pix.savev(os.path.join(folder, name + ".png"), "png", [], [])
