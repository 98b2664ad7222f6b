"""Debian packages the machine itself needs (for the venv and the real-host tests)."""

from __future__ import annotations

import os
import shutil
import subprocess

from .common import ROOT, run, say


def apt_install(packages: list[str]) -> None:
    """Install missing Debian packages (root on Debian only; elsewhere say what is missing)."""

    def installed(pkg: str) -> bool:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
        return r.returncode == 0 and "install ok installed" in r.stdout

    if not shutil.which("dpkg-query") or not shutil.which("apt-get"):
        say(f"not a Debian system: make sure these are installed: {' '.join(packages)}")
        return
    missing = [p for p in packages if not installed(p)]
    if not missing:
        return
    if os.geteuid() != 0:
        say(f"missing Debian packages (run as root to install): {' '.join(missing)}")
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update"], env=env, stdin=subprocess.DEVNULL)
    if (
        run(
            ["apt-get", "install", "-y", "--no-install-recommends", *missing],
            env=env,
            stdin=subprocess.DEVNULL,
        ).returncode
        != 0
    ):
        say(f"apt-get could not install {' '.join(missing)}; tests that need them will say so")


def suite_packages() -> list[str]:
    """Debian packages the suite needs on the machine; tests/hosts may add its own in apt-packages.txt."""
    packages = ["debootstrap", "openssl", "ca-certificates", "util-linux"]
    extra = ROOT / "tests" / "hosts" / "apt-packages.txt"
    if extra.exists():
        packages += [w for line in extra.read_text().splitlines() for w in line.split("#")[0].split()]
    return packages
