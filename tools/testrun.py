"""`build.py test`: Debian packages, host chroots (in the background), the venv with the test extra, fresh
zips, then pytest with GPTEDIT_KRITA_ZIP/GPTEDIT_GIMP_ZIP pointing at those zips."""

from __future__ import annotations

import os
import time

from .common import ROOT, run, say
from .debian import apt_install, suite_packages
from .dist import build_dist
from .hosts import start_chroots, wait_chroots
from .venv import ensure_venv


def run_tests(pytest_args: list[str]) -> int:
    started = time.monotonic()
    if os.environ.get("GPTEDIT_NO_PROVISION") != "1":
        apt_install(suite_packages())
    chroots = start_chroots()
    py = ensure_venv(("test",))
    krita_zip, gimp_zip = build_dist(ROOT / "dist")
    wait_chroots(chroots)
    env = {**os.environ, "GPTEDIT_KRITA_ZIP": str(krita_zip), "GPTEDIT_GIMP_ZIP": str(gimp_zip)}
    say(f"set-up took {time.monotonic() - started:.0f} s; running pytest")
    rc = run([py, "-m", "pytest", "-ra", *pytest_args], cwd=ROOT, env=env).returncode
    say(f"pytest exited {rc} after {time.monotonic() - started:.0f} s in total")
    return rc
