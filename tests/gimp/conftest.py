"""Real-GIMP fixtures for the plug-in: the BUILT zip a user would install, and the sandbox on 127.0.0.1
outside the chroot (loopback is shared with it). See gimp_harness.py for the batch run itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def gimp_zip(tmp_path_factory) -> Path:
    """The artifact a user installs: $GPTEDIT_GIMP_ZIP (build.py test sets it) or a fresh `build.py dist`."""
    given = os.environ.get("GPTEDIT_GIMP_ZIP")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, str(ROOT / "build.py"), "dist", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"build.py dist failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}", pytrace=False)
    zips = sorted(out.glob("gptedit-gimp-*.zip"))
    assert zips, f"build.py dist wrote no GIMP zip into {out}"
    return zips[0]


@pytest.fixture(scope="session")
def sandbox():
    from gptedit.sandbox import Sandbox

    sb = Sandbox(port=0).start()
    # answers at the sent picture's size: these tests check GIMP's placement pixel for pixel, and a
    # fixed-size answer (each::labs, Replicate) would be resampled on the way (tests/conformance covers that)
    sb.configure(answer_size="input")
    yield sb
    sb.stop()




@pytest.fixture(autouse=True)
def _count_real_host_tests(request):
    """Count each test that ran on a real GIMP (its module fixture is parametrized by the host spec)."""
    yield
    callspec = getattr(request.node, "callspec", None)
    for name in ("gimp", "gui"):
        spec = callspec.params.get(name) if callspec else None
        if spec is not None:
            from gimp_harness import count_host_test

            count_host_test(spec)
