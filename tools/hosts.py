"""The Debian chroots that hold the real Krita and GIMP for the host tests, provisioned in the background
while the venv and the zips are built. Adding a host that needs its own chroot is one entry in CHROOTS."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .common import ROOT, say

HOSTS_DIR = ROOT / "tests" / "hosts"


@dataclass(frozen=True)
class Chroot:
    """One chroot: its folder name under the hosts root and the script (in tests/hosts) that builds it,
    called as `bash SCRIPT FOLDER *args`."""

    name: str
    script: str
    args: tuple[str, ...]
    holds: str  # what it is for, for the log


CHROOTS = (
    Chroot("trixie", "make_chroot.sh", ("trixie",), "Krita 5.2 + GIMP 3.0"),
    Chroot("testing", "make_chroot.sh", ("testing",), "Krita 5.3 + GIMP 3.2"),
    Chroot("experimental", "make_chroot.sh", ("experimental",), "Krita 6.0 on Debian unstable"),
)


@dataclass
class Provisioning:
    chroot: Chroot
    proc: subprocess.Popen
    log: Path


def hosts_root() -> Path:
    return Path(os.environ.get("GPTEDIT_HOSTS_ROOT") or "/var/cache/gptedit-hosts")


def start_chroots() -> list[Provisioning]:
    """Start building every chroot in parallel (about two minutes each the first time, instant after)."""
    if "1" in (os.environ.get("GPTEDIT_NO_PROVISION"), os.environ.get("GPTEDIT_SKIP_HOSTS")):
        return []
    if os.geteuid() != 0:
        say("not root: the host tests' chroots cannot be made here")
        return []
    base = hosts_root()
    logs = ROOT / "build" / "hosts"
    logs.mkdir(parents=True, exist_ok=True)
    started = []
    for chroot in CHROOTS:
        script = HOSTS_DIR / chroot.script
        if not script.exists():
            continue
        log = logs / f"{script.stem}-{chroot.name}.log"
        say(
            f"provisioning the {chroot.name} chroot ({chroot.holds}) in {base / chroot.name} "
            f"in the background (log: {log})"
        )
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                ["bash", str(script), str(base / chroot.name), *chroot.args],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        started.append(Provisioning(chroot, proc, log))
    return started


def wait_chroots(started: list[Provisioning]) -> None:
    """Wait for every chroot; a failure is reported here and again by the host tests that need it."""
    for item in started:
        rc = item.proc.wait()
        if rc != 0:
            tail = item.log.read_text(errors="replace").splitlines()[-15:]
            say(
                f"provisioning {item.chroot.name} failed (exit {rc}); the host tests will report it. "
                "Log tail:\n  " + "\n  ".join(tail)
            )
        else:
            say(f"{item.chroot.name} chroot ready")
