"""`build.py demo` (one edit on the offline sandbox, with only the command-line extra installed) and
`build.py bench` (the benchmarks in tests/bench, which need the test extra)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .common import ROOT, run, say
from .venv import ensure_venv


def demo() -> int:
    py = ensure_venv(("cli",))  # Pillow for the command line; none of the test tools
    out = ROOT / "out" / "demo.png"
    out.parent.mkdir(exist_ok=True)
    out.unlink(missing_ok=True)
    rc = run(
        [
            py,
            "-m",
            "gptedit",
            "edit",
            "shared/samples/landscape.png",
            "-p",
            "turn the sky into a warm sunset",
            "-o",
            out,
            "--provider",
            "sandbox",
        ],
        cwd=ROOT,
    ).returncode
    if rc != 0 or not out.exists():
        say(f"the demo failed (exit {rc}); see the messages above")
        return rc or 1
    print(f"demo result: {out}")
    return 0


def bench() -> int:
    # files starting with an underscore are helpers the benchmarks share
    scripts = sorted(p for p in (ROOT / "tests" / "bench").glob("*.py") if not p.name.startswith("_"))
    if not scripts:
        say("no benchmarks yet (tests/bench/*.py)")
        return 0
    py, worst = ensure_venv(("test",)), 0
    with tempfile.TemporaryDirectory(prefix="gptedit-bench-") as tmp:
        summary = Path(tmp) / "summary.jsonl"
        env = {**os.environ, "GPTEDIT_BENCH_SUMMARY": str(summary)}
        for script in scripts:
            worst = max(worst, run([py, script], cwd=ROOT, env=env).returncode)
        print_summary(summary)
    return worst


def print_summary(path: Path) -> None:
    """One table of every benchmark's headline figures as ratios to the baseline measured in the same run
    (absolute times are noisy on a shared machine; the ratios are what to compare)."""
    if not path.exists():
        return
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    head = f"{'area':<14} {'case':<28} {'measure':<22} {'ours':>9} {'baseline':>9} {'ratio':>6}  baseline is"
    print("\nAll benchmarks: ours beside the baseline measured in the same run")
    print(head)
    print("-" * len(head))
    for r in rows:
        ratio = r["ours"] / r["baseline"] if r["baseline"] else float("nan")
        print(
            f"{r['area']:<14} {r['case']:<28} {r['measure']:<22} {r['ours']:>9.3g} {r['baseline']:>9.3g} "
            f"{ratio:>6.2f}  {r['baseline_name']}"
        )
