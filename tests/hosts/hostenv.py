"""Harness for tests that install gptedit into the REAL Krita and the REAL GIMP 3 (stdlib only, root, Debian).

Hosts (HOSTS): Krita 5.2 + GIMP 3.0 from a Debian trixie chroot, Krita 5.3 + GIMP 3.2 from a Debian testing
chroot, Krita 6.0 (Qt 6, PyQt6) from a Debian unstable chroot that takes only Krita from experimental
(suite name "experimental"), under $GPTEDIT_HOSTS_ROOT (default /var/cache/gptedit-hosts)/<suite>, built
on first use by make_chroot.sh and entered through in_chroot.sh (private mount namespace, host folders
bound at the same path, loopback shared with the machine, so a sandbox server on 127.0.0.1 outside is
reachable inside).

API (all paths are host paths; anything a host must see is bind-mounted at the same path):

    spec = HostSpec("krita", "5.2", "trixie")            # or one of HOSTS / KRITA_HOSTS / GIMP_HOSTS
    ensure_chroot(suite) -> Path                           # HostUnavailable(reason) if it cannot be
    installed_version(suite, app) -> "5.2.9" | "3.0.4"    # from the chroot's dpkg database

    install_krita_zip(zip, profile) -> [names]            # = Tools > Scripts > Import Python Plugin, + enable
    report = run_krita(spec, profile, scenario_py, report_path=None, timeout=120,
                       env={...}, binds=[...], params={...}, args=[...], check=True)
    proc = start_krita(...same...)                         # KritaProcess: .report(), .wait_report(cond, t),
                                                           # .kill() (all), .kill_krita(), .wait(),
                                                           # .stderr_tail()
    install_gimp_zip(zip, profile) -> [names]             # PROFILE/plug-ins/<name>/, exec bits kept
    rc, out, err = run_gimp_batch(spec, profile, code, timeout=120, env={...}, binds=[...])
    proc = start_gimp_batch(spec, profile, code, env=..., binds=...)   # HostProcess
    GIMP_PRELUDE                                           # imports + call_procedure() + rgba_pixels()

A Krita profile is a fake HOME (resources in PROFILE/.local/share/krita, kritarc in PROFILE/.config); a GIMP
profile is GIMP3_DIRECTORY. Both are seeded from a per-version template on first use (files already in the
folder win), so install a zip before or after: both work. profile=None means a throwaway copy.

A Krita scenario is a file with `def run(ctx)`, executed inside Krita by the test-driver plugin
(krita_driver/, installed into every profile by the harness, not product code) once the main window is up.
ctx: .krita, .window, .params, .report(**data), .log(msg), .done(**data), .fail(msg), .wait_for(cond,
timeout) (nested event loop, GUI stays live), .sleep(s), .later(ms, fn), .call_in_gui(fn) (from threads),
.ticker(ms) -> Ticker (.stop() -> {"ticks", "max_gap_ms"}), .new_document(w, h), .menu_path(action_id),
.user_plugins(). It may return before finishing and call ctx.done() later (asynchronous). The report is
{"status": "ok"|"failed"|"error"|"watchdog", "data": {...}, "error", "traceback", "thread_errors",
"host": {"krita", "python", "qt", "pyqt"}, "exit_code", "stderr_tail", ...}. Judge by the report, not the
exit code.

Measured on this 2-core Debian 12 machine (Nov 2026 snapshot of the archive):
- Building a chroot: 110-125 s each (two in parallel), 1.4-1.5 GB. trixie: Krita 5.2.9, GIMP 3.0.4,
  Python 3.13.5; testing: Krita 5.3.4.1, GIMP 3.2.6, Python 3.14.8; PyQt 5.15.11 in both. experimental
  (unstable + Krita from experimental, no GIMP): 171 s, 1.3 GB, 467 packages of which only krita and
  krita-data come from experimental; Krita 6.0.4.1, Qt 6.11, PyQt 6.11, Python 3.14.
- Profile templates (once per version, cached beside the chroots): Krita 16 s (5.2) / 23 s (5.3), 81 MB
  (resource database + bundles); GIMP 15-16 s, 400 KB (pluginrc of ~120 plug-ins).
- One Krita scenario run (profile copy + Xvfb + start + scenario + quit): ~5 s on 5.2, ~10 s on 5.3 (5.3
  needs ~3.5 s more from loading Python plugins to showing the window; 6.0 about as long as 5.3); three
  Kritas in parallel on 2 cores: 12-15 s each. One GIMP batch: ~3 s. tests/hosts as a whole: ~2 min once
  provisioned.
- `python3 -m tests.hosts.hostenv provision` builds all chroots in parallel plus all templates (CI can
  start it in the background early); a second call returns in 0.2 s.
- A chroot build killed half-way (even during debootstrap) is detected on the next call (no marker, a
  .partial tree) and rebuilt from scratch: measured 230 s under load.
Pitfalls found:
- Krita's main-window timer ticks stall ~0.3-1.1 s right after a document view is created: start a
  Ticker after new_document() when measuring whether a plugin blocks the GUI.
- Krita's bundled scripter plugin spews SyntaxWarnings under Python >= 3.12 (hidden via PYTHONWARNINGS).
- Krita's plugin importer needs DIRECTORY ENTRIES in the zip ("name/"); a zip of files only imports
  nothing ("No plugins found in archive"). install_krita_zip refuses such zips the same way.
- GIMP 3.2 prints "Glycin running without sandbox" (no bwrap in a chroot); GIMP 3.0 prints "cannot open
  display" from script-fu and "gimp_wire_read(): unexpected EOF": all harmless.
- Qt ignores an XDG_RUNTIME_DIR that is not mode 0700 (warns on every start).
- debootstrap mounts /proc inside its target: run outside a private mount namespace and killed, it
  leaves that mount on the machine (make_chroot.sh now unshares and also unmounts leftovers of .partial).
- A bind of a parent folder made after a bind of its child hides the child (a read-only scenario folder
  over a read-write profile made Krita's database read-only): binds are mounted outer folders first.
- The mount namespace lives as long as ANY process in it: kill the process group (HostProcess.kill does),
  not just the top PID, or a child (a plug-in process, `sleep`) keeps the binds alive.
- GIMP batch: code that raises exits 64; a procedure that fails only returns EXECUTION_ERROR (exit 0), so
  GIMP_PRELUDE's call_procedure checks the status.
- Krita connects to X and disconnects several times while it starts (Krita 6 visibly: each last
  disconnect reset the server); a connection landing in a reset failed and Krita 6 aborted
  ("could not connect to display"). Xvfb runs with -noreset.
- Qt 6 ignores QAction.trigger() on a disabled action (Qt 5 fired it): Krita enables node-dependent
  actions only once the new view has a current layer, so ctx.new_document() waits for that.
- Xvfb is started per run with -displayfd: /tmp is private per run but the abstract X socket lives in the
  shared network namespace, so a fixed display number could collide with another run.
"""

from __future__ import annotations

import sys
import threading
import time

from .hostenv_core import (
    GIMP_HOSTS,
    HOSTS,
    KRITA_HOSTS,
    HostError,
    HostProcess,
    HostRunError,
    HostSpec,
    HostTimeout,
    HostUnavailable,
    check_spec,
    ensure_chroot,
    host_problem,
    hosts_root,
    installed_version,
)
from .hostenv_gimp import (
    GIMP_PRELUDE,
    gimp_template,
    install_gimp_zip,
    prepare_gimp_profile,
    run_gimp_batch,
    start_gimp_batch,
)
from .hostenv_krita import KritaProcess, krita_template, prepare_krita_profile, run_krita, start_krita
from .hostenv_kritazip import KritaZipError, enable_krita_plugin, install_krita_zip, krita_dirs

__all__ = [
    "GIMP_HOSTS",
    "GIMP_PRELUDE",
    "HOSTS",
    "KRITA_HOSTS",
    "HostError",
    "HostProcess",
    "HostRunError",
    "HostSpec",
    "HostTimeout",
    "HostUnavailable",
    "KritaProcess",
    "KritaZipError",
    "check_spec",
    "enable_krita_plugin",
    "ensure_chroot",
    "gimp_template",
    "host_problem",
    "hosts_root",
    "install_gimp_zip",
    "install_krita_zip",
    "installed_version",
    "krita_dirs",
    "krita_template",
    "prepare_gimp_profile",
    "prepare_krita_profile",
    "run_gimp_batch",
    "run_krita",
    "start_gimp_batch",
    "start_krita",
]


def provision_all(suites: list[str] | None = None) -> int:
    """Build the chroots (in parallel) and the profile templates; for CI to start early. Exit code."""
    suites = suites or sorted({h.suite for h in HOSTS})
    errors: dict[str, str] = {}

    def build(suite: str) -> None:
        t0 = time.monotonic()
        try:
            ensure_chroot(suite)
            for spec in (h for h in HOSTS if h.suite == suite):
                version = check_spec(spec)
                (krita_template if spec.app == "krita" else gimp_template)(spec)
                print(f"HOST {spec.app} {version} (Debian {suite}) ready", flush=True)
        except HostError as exc:
            errors[suite] = str(exc)
        print(f"{suite}: {time.monotonic() - t0:.0f} s", flush=True)

    threads = [threading.Thread(target=build, args=(suite,)) for suite in suites]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for suite, error in errors.items():
        print(f"{suite}: FAILED: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    # python3 -m tests.hosts.hostenv provision [trixie|testing|experimental ...]  (from the repository root)
    if len(sys.argv) < 2 or sys.argv[1] != "provision":
        sys.exit("usage: python3 -m tests.hosts.hostenv provision [suite...]")
    sys.exit(provision_all(sys.argv[2:]))
