"""Krita GUI responsiveness benchmark (run by `python3 build.py bench`).

In real Krita 5.2, 5.3 and 6.0 (the test chroots), with the BUILT plugin zip and a local sandbox, a full edit is
run at 1024² and 4096² through the plugin (worker thread, striped insert) and through a baseline that does
the same work on the GUI thread. Prints, per Krita version and size, the longest GUI stall during the whole
job and the time from the result reaching the GUI thread to the layer being in the document."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "shared"), str(ROOT / "tests" / "hosts")]

SIZES = [1024, 4096]
LATENCY_S = 1.5


def built_zip(tmp: Path) -> Path:
    given = os.environ.get("GPTEDIT_KRITA_ZIP")
    if given:
        return Path(given)
    subprocess.run([sys.executable, str(ROOT / "build.py"), "dist", "--out", str(tmp)], check=True,
                   capture_output=True)
    return next(tmp.glob("gptedit-krita-*.zip"))


def main() -> int:
    import hostenv
    from gptedit.sandbox import Sandbox

    if hostenv.host_problem():
        print(f"krita_bench: skipped ({hostenv.host_problem()})")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="gptedit-krita-bench-"))
    zip_path = built_zip(tmp)
    table = []
    with Sandbox(port=0) as sb:
        # answers at the sent picture's size, as the figures in the README were measured
        sb.configure(latency=LATENCY_S, answer_size="input")
        for spec in hostenv.KRITA_HOSTS:
            try:
                version = hostenv.check_spec(spec)
            except hostenv.HostUnavailable as exc:
                print(f"Krita {spec.version}: not available ({exc.reason})")
                continue
            run = tmp / spec.id
            home = run / "gptedit-home"
            home.mkdir(parents=True)
            hostenv.install_krita_zip(zip_path, run / "profile")
            env = {"GPTEDIT_HOME": str(home), "GPTEDIT_PROVIDER": "eachlabs", "EACHLABS_API_KEY": "bench",
                   "GPTEDIT_EACHLABS_BASE_URL": sb.base_urls["eachlabs"]}
            report = hostenv.run_krita(spec, run / "profile", ROOT / "tests/krita/scenarios/bench_gui.py",
                                       timeout=600, env=env, binds=[home], params={"sizes": SIZES})
            for row in report["data"]["rows"]:
                table.append({"krita": version, **row})
    header = f"{'Krita':<9} {'size':>6} {'mode':<9} {'ok':<3} {'longest GUI stall':>18} {'result→visible':>15} {'total':>8}"
    print(header)
    print("-" * len(header))
    for r in table:
        print(f"{r['krita']:<9} {str(r['size']) + '²':>6} {r['mode']:<9} {'yes' if r['ok'] else 'NO':<3} "
              f"{r['max_gap_ms']:>15.0f} ms {r['result_to_visible_ms']:>12.0f} ms {r['total_s']:>6.1f} s")
    bad = [r for r in table if r["mode"] == "plugin" and (not r["ok"] or r["max_gap_ms"] > 500)]
    if bad:
        print(f"krita_bench: the plugin stalled the GUI over 500 ms: {bad}")
    return 1 if bad or not table else 0


if __name__ == "__main__":
    sys.exit(main())
