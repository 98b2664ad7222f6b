"""`build.py demo` (one edit on the offline sandbox, with only the command-line extra installed) and
`build.py bench` (the benchmarks in tests/bench, which need the test extra)."""

from __future__ import annotations

from .common import ROOT, run, say
from .venv import ensure_venv


def demo() -> int:
    py = ensure_venv(("cli",))  # Pillow for the command line; none of the test tools
    out = ROOT / "out" / "demo.png"
    out.parent.mkdir(exist_ok=True)
    out.unlink(missing_ok=True)
    rc = run([py, "-m", "gptedit", "edit", "shared/samples/landscape.png", "-p",
              "turn the sky into a warm sunset", "-o", out, "--provider", "sandbox"], cwd=ROOT).returncode
    if rc != 0 or not out.exists():
        say(f"the demo failed (exit {rc}); see the messages above")
        return rc or 1
    print(f"demo result: {out}")
    return 0


def bench() -> int:
    scripts = sorted((ROOT / "tests" / "bench").glob("*.py"))
    if not scripts:
        say("no benchmarks yet (tests/bench/*.py)")
        return 0
    py, worst = ensure_venv(("test",)), 0
    for script in scripts:
        worst = max(worst, run([py, script], cwd=ROOT).returncode)
    return worst
