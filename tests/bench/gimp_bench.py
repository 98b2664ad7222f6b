"""GIMP benchmark (run by `python3 build.py bench`).

In real GIMP 3.0 and 3.2 (the test chroots), with the BUILT plug-in zip and a local sandbox that answers at
the sent size, one edit per size (1024², 4096²; a selection inside the layer, so the answer gets a layer
mask) is timed in two parts from the ledger's own events:

- run → request leaving: from the script calling the procedure to the job's `submitting` event (reading
  the pixels, scaling to the sent size, encoding the upload);
- answer → inserted layer: from the job's `fetched` event (the result saved) to its `inserted` event (GIMP
  loads it, scales it back, places it and adds the mask).

Beside them, in the same GIMP on the same layer: GIMP's own PNG export of the image (`Gimp.file_save`), its
own load-as-layer of that file (`Gimp.file_load_layer` + insert), and its own load-as-layer of the answer
file scaled over the box the plug-in filled (the floor for our insert: the answer comes back at the sent
size, at most 2048 pixels a side). Prints each and the ratios. GIMP runs with its GUI (under Xvfb) so that a
second edit per size can go through the dialog and the progress window on a displayed image; the window's
own longest gap between timer ticks over the whole job (the wait and the insert) is printed too, with the
insert's steps and the ticks the window made during each."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# gptedit, the tests.hosts harness and tests/gimp's gimp_harness
sys.path[:0] = [str(ROOT / "shared"), str(ROOT), str(ROOT / "tests" / "gimp")]

SIZES = [1024, 4096]
LATENCY_S = 1.0


def built_zip(tmp: Path) -> Path:
    given = os.environ.get("GPTEDIT_GIMP_ZIP")
    if given:
        return Path(given)
    subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "dist", "--out", str(tmp)], check=True, capture_output=True
    )
    return next(tmp.glob("gptedit-gimp-*.zip"))


def run_one(hostenv, spec, zip_path: Path, sb, base: Path) -> dict:
    profile, home, out = base / "profile", base / "gptedit-home", base / "out"
    for p in (home, out):
        p.mkdir(parents=True, exist_ok=True)
    hostenv.prepare_gimp_profile(spec, profile)
    hostenv.install_gimp_zip(zip_path, profile)
    (base / "params.json").write_text(json.dumps({"out": str(out), "api": sb.api_url}))
    code = "\n".join(
        [
            hostenv.GIMP_PRELUDE,
            (ROOT / "tests/gimp/gimp_side.py").read_text(),
            (ROOT / "tests/gimp/bench_side.py").read_text(),
            f"run_bench({SIZES!r})",
        ]
    )
    import gimp_harness  # GUI GIMP under its own Xvfb: the dialog and the progress window need a display

    env = {
        "GPTEDIT_PROVIDER": "eachlabs",
        "GPTEDIT_EACHLABS_BASE_URL": sb.base_urls["eachlabs"],
        "EACHLABS_API_KEY": "bench",
        "GPTEDIT_HOME": str(home),
        "GPTEDIT_TEST_PARAMS": str(base / "params.json"),
        # the stand-in for the person at the dialog (presses OK) and the window's own measurements
        **gimp_harness.install_seams(base),
    }

    proc = gimp_harness.start_gimp_gui(spec, profile, code, env, base)
    try:
        proc.wait(900)
    except subprocess.TimeoutExpired:
        proc.kill()
    report_path = out / "report.json"
    if not report_path.exists():
        return {"error": proc.stderr_tail(40)}
    report = json.loads(report_path.read_text())
    os.environ["GPTEDIT_HOME"] = str(home)
    from gptedit.ledger import Ledger

    ledger = Ledger()  # the plug-in's, under the GPTEDIT_HOME it ran with
    for row in report["rows"]:
        if not row.get("job"):
            continue
        at = {state: when for when, state, _ in ledger.events(row["job"])}
        if "submitting" in at and "fetched" in at and "inserted" in at:
            row["to_leave_s"] = at["submitting"] - row["t_run"]
            row["to_insert_s"] = at["inserted"] - at["fetched"]
    return report


def main() -> int:
    from gptedit.sandbox import Sandbox

    from tests.hosts import hostenv

    if hostenv.host_problem():
        print(f"gimp_bench: skipped ({hostenv.host_problem()})")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="gptedit-gimp-bench-"))
    zip_path = built_zip(tmp)
    table = []
    with Sandbox(port=0) as sb:
        sb.configure(latency=LATENCY_S, answer_size="input")
        for spec in hostenv.GIMP_HOSTS:
            try:
                version = hostenv.check_spec(spec)
            except hostenv.HostUnavailable as exc:
                print(f"GIMP {spec.version}: not available ({exc.reason})")
                continue
            started = time.monotonic()
            report = run_one(hostenv, spec, zip_path, sb, tmp / spec.id)
            if "error" in report:
                print(f"GIMP {version}: no report:\n{report['error']}")
                continue
            for row in report["rows"]:
                table.append({"gimp": version, **row})
            print(f"GIMP {version}: {time.monotonic() - started:.0f} s")
    header = (
        f"{'GIMP':<7} {'size':>6} {'run→request leaves':>19} {'native PNG export':>18} {'ratio':>6} "
        f"{'answer→layer+mask':>18} {'native load-as-layer':>21} {'ratio':>6} "
        f"{'native load+scale':>18} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    bad = []
    stalls = [r for r in table if r.get("window_max_gap") is not None]
    for r in table:
        if "to_leave_s" not in r:
            bad.append(r)
            print(f"{r['gimp']:<7} {str(r['size']) + '²':>6} failed: {r.get('crash') or r.get('message')}")
            continue
        size = str(r["size"]) + "²"
        scale = r.get("load_scale_s", float("nan"))
        print(
            f"{r['gimp']:<7} {size:>6} {r['to_leave_s']:>17.2f} s {r['export_s']:>16.2f} s "
            f"{r['to_leave_s'] / r['export_s']:>6.2f} {r['to_insert_s']:>16.2f} s "
            f"{r['load_layer_s']:>19.2f} s {r['to_insert_s'] / r['load_layer_s']:>6.2f} {scale:>16.2f} s "
            f"{r['to_insert_s'] / scale:>6.2f}"
        )
        if not r.get("has_mask"):
            bad.append(r)
        from _summary import add

        add(
            f"GIMP {r['gimp']}",
            size,
            "run→request leaves (s)",
            r["to_leave_s"],
            r["export_s"],
            "GIMP's PNG export",
        )
        add(
            f"GIMP {r['gimp']}", size, "answer→layer+mask (s)", r["to_insert_s"], scale, "GIMP's load + scale"
        )
    if stalls:
        print(
            "Progress window (dialog run on a displayed image): longest gap between its 150 ms ticks over "
            "the whole job, the wait and the insert; the insert's steps (how long each took, the last one "
            "until the result is shown, and the ticks during each)"
        )
        for r in stalls:
            took = dict(r.get("step_seconds") or [])
            steps = "; ".join(
                f"{text}: {took.get(text, float('nan')):.2f} s, {ticks} ticks"
                for text, ticks in r.get("window_steps") or []
            )
            print(
                f"{r['gimp']:<7} {str(r['size']) + '²':>6} {r['window_max_gap'] * 1000:>8.0f} ms "
                f"({r['window_ticks']} ticks)  {steps}"
            )
            from _summary import add

            add(
                f"GIMP {r['gimp']}",
                str(r["size"]) + "²",
                "window's longest gap (s)",
                r["window_max_gap"],
                0.15,
                "its 150 ms tick",
            )
    for r in table:
        if r.get("ui_crash") or r.get("ui_ok") is False:
            bad.append(r)
            print(
                f"{r['gimp']:<7} {str(r['size']) + '²':>6} dialog run failed: {r.get('ui_crash') or 'status'}"
            )
    if bad:
        print(f"gimp_bench: {len(bad)} edit(s) failed or came back without a layer mask")
    if bad or not table:
        print(f"gimp_bench: the runs are kept in {tmp}")
        return 1
    shutil.rmtree(tmp, ignore_errors=True)  # ~15 MB a run; kept above when something failed
    return 0


if __name__ == "__main__":
    sys.exit(main())
