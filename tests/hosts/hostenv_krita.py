"""Real Krita for tests: profiles from a per-version template, and scenario runs under Xvfb in the chroot.

A Krita *profile* here is a fake home folder: HOME=PROFILE, XDG_DATA_HOME=PROFILE/.local/share (Krita's
resource folder is PROFILE/.local/share/krita, where pykrita/ and actions/ live), XDG_CONFIG_HOME=
PROFILE/.config (kritarc), XDG_CACHE_HOME=PROFILE/.cache. It persists between runs that share it, so a test
can kill Krita and start it again on the same profile (crash / resume tests).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from .hostenv_core import (
    HERE,
    KEEP_RUNS,
    HostError,
    HostProcess,
    HostRunError,
    HostSpec,
    HostTimeout,
    check_spec,
    chroot_command,
    chroot_stamp,
    ensure_chroot,
    file_lock,
    hosts_root,
    new_run_dir,
    sanitized_env,
)
from .hostenv_kritazip import enable_krita_plugin, kconfig_items, kconfig_set, krita_dirs

DRIVER_DIR = HERE / "krita_driver"
DRIVER_NAME = "gptedit_test_driver"
PROFILE_MARKER = ".gptedit-profile"
EXIT_GRACE_S = 30.0
# `timeout` is the scenario's budget, counted by the in-Krita watchdog from the scenario's start. Krita's own
# start (plugins loaded to the main window shown) has START_S of its own, watched the same way. The harness's
# deadline adds BACKSTOP_S for the watchdog's report, so a hung run ends with the watchdog's stacks rather
# than a bare kill.
START_S = 180.0
BACKSTOP_S = 30.0


def _install_driver(profile: Path) -> None:
    pykrita = krita_dirs(profile)["resources"] / "pykrita"
    pykrita.mkdir(parents=True, exist_ok=True)
    shutil.copy2(DRIVER_DIR / f"{DRIVER_NAME}.desktop", pykrita / f"{DRIVER_NAME}.desktop")
    shutil.copytree(
        DRIVER_DIR / DRIVER_NAME,
        pykrita / DRIVER_NAME,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    enable_krita_plugin(profile, DRIVER_NAME)


# ---------------------------------------------------------------------------------------- profiles

_NOOP_SCENARIO = "def run(ctx):\n    ctx.done(template=True)\n"


def krita_template(spec: HostSpec) -> Path:
    """A profile in which this Krita has started once (resource database built: ~9 s, 70 MB), cached."""
    version = check_spec(spec)
    template = hosts_root() / "profiles" / f"krita-{version}-{chroot_stamp(spec.suite)}"
    with file_lock(template.with_name(template.name + ".lock")):
        if (template / PROFILE_MARKER).exists():
            return template
        building = template.with_name(template.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        scenario = building.parent / f"{template.name}.scenario.py"
        scenario.write_text(_NOOP_SCENARIO)
        report = _run_krita_raw(
            spec,
            building,
            scenario,
            building.parent / f"{template.name}.report.json",
            timeout=180,
            env=None,
            binds=(),
            params=None,
            args=(),
        )
        if report.get("status") != "ok":
            raise HostRunError(
                f"building the Krita {version} profile template failed: {report}", report=report
            )
        shutil.rmtree(building / ".cache", ignore_errors=True)
        (building / PROFILE_MARKER).write_text(f"krita {version}\n")
        building.rename(template)
        return template


def prepare_krita_profile(spec: HostSpec, profile: os.PathLike | str) -> Path:
    """Make `profile` a started-once Krita profile by copying the template into it (idempotent).

    Files already in the profile win (a plugin installed before the first run stays); kritarc is merged
    key by key so [python] enable_* lines survive.
    """
    profile = Path(profile).resolve()
    marker = profile / PROFILE_MARKER
    version = check_spec(spec)
    if marker.exists():
        made_for = marker.read_text().strip()
        if made_for != f"krita {version}":
            raise HostError(f"{profile} is a profile of {made_for}, not krita {version}; use a fresh folder")
        return profile
    template = krita_template(spec)
    own_rc = kconfig_items(krita_dirs(profile)["kritarc"])
    for src in template.rglob("*"):
        dest = profile / src.relative_to(template)
        if src.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        elif not dest.exists() or src.name == "kritarc":
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    for group, key, value in own_rc:
        if group:
            kconfig_set(krita_dirs(profile)["kritarc"], group, key, value)
    return profile


# --------------------------------------------------------------------------------------------- runs


class KritaProcess(HostProcess):
    """A running Krita; report() reads the scenario's report as it is now."""

    report_path: Path

    def report(self) -> dict | None:
        try:
            return json.loads(self.report_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def wait_report(self, condition: Callable[[dict], bool], timeout: float) -> dict:
        """Poll the report until condition(report) holds; raises HostTimeout (with stderr) otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            rep = self.report()
            if rep is not None and condition(rep):
                return rep
            if time.monotonic() > deadline or self.poll() is not None:
                if rep is not None and condition(rep):
                    return rep
                why = "exited" if self.poll() is not None else f"did not get there within {timeout:.0f} s"
                raise HostTimeout(
                    f"Krita {why}; report: {rep}\n--- stderr tail ---\n{self.stderr_tail()}",
                    report=rep,
                    stderr_tail=self.stderr_tail(),
                    run_dir=self.run_dir,
                )
            time.sleep(0.1)

    def krita_pid(self) -> int | None:
        """PID of the Krita process itself (not the Xvfb wrapper)."""
        try:
            return int((self.run_dir / "host.pid").read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def kill_krita(self) -> int:
        """SIGKILL Krita alone (the wrapper then stops Xvfb); returns the wrapper's exit code."""
        pid = self.krita_pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            return self.wait(EXIT_GRACE_S)
        except subprocess.TimeoutExpired:
            return self.kill()


def start_krita(
    spec: HostSpec,
    profile: os.PathLike | str,
    scenario_path: os.PathLike | str,
    report_path: os.PathLike | str | None = None,
    timeout: float = 120,
    *,
    env: Mapping[str, str] | None = None,
    binds: Iterable[os.PathLike | str] = (),
    params: dict | None = None,
    args: Iterable[str] = (),
    run_dir: os.PathLike | str | None = None,
) -> KritaProcess:
    """Start Krita on `profile` running the scenario; `timeout` arms the in-Krita watchdog (no harness
    deadline: the caller waits with .wait_report()/.wait() and kills)."""
    profile = prepare_krita_profile(spec, profile)
    return _start(spec, profile, Path(scenario_path), report_path, timeout, env, binds, params, args, run_dir)


def _start(spec, profile, scenario, report_path, timeout, env, binds, params, args, run_dir) -> KritaProcess:
    root = ensure_chroot(spec.suite)
    run = new_run_dir("krita", run_dir)
    report = Path(report_path).resolve() if report_path else run / "report.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    runtime = run / "xdg-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.chmod(runtime, 0o700)  # Qt ignores a runtime dir that others can read
    (run / "tmp").mkdir(exist_ok=True)
    _install_driver(profile)
    dirs = krita_dirs(profile)
    base = {
        "HOME": str(profile),
        "XDG_DATA_HOME": str(dirs["data"]),
        "XDG_CONFIG_HOME": str(dirs["config"]),
        "XDG_CACHE_HOME": str(dirs["cache"]),
        "XDG_RUNTIME_DIR": str(runtime),
        "TMPDIR": str(run / "tmp"),
        # KDE_DEBUG: no KCrash handler (it would try to start drkonqi); QT_QPA_PLATFORM=xcb: Krita aborts
        # on anything else; the SyntaxWarnings are Krita's own bundled scripter plugin under Python 3.12+.
        "KDE_DEBUG": "1",
        "QT_QPA_PLATFORM": "xcb",
        "PYTHONWARNINGS": "ignore::SyntaxWarning",
        "PYTHONDONTWRITEBYTECODE": "1",
        "GPTEDIT_DRIVER_SCENARIO": str(scenario.resolve()),
        "GPTEDIT_DRIVER_REPORT": str(report),
        "GPTEDIT_DRIVER_WATCHDOG": str(timeout),
        "GPTEDIT_DRIVER_START": str(START_S),
    }
    if params is not None:
        (run / "params.json").write_text(json.dumps(params))
        base["GPTEDIT_DRIVER_PARAMS"] = str(run / "params.json")
    argv = ["/bin/bash", str(HERE / "with_xvfb.sh"), str(run), "/usr/bin/krita", "--nosplash", *args]
    cmd = chroot_command(
        root,
        argv,
        sanitized_env(base, env),
        binds=[profile, run, report.parent, *binds],
        ro_binds=[HERE, scenario.resolve().parent],
    )
    proc = KritaProcess(cmd, run, label="krita")
    proc.report_path = report
    return proc


def run_krita(
    spec: HostSpec,
    profile: os.PathLike | str | None,
    scenario_path: os.PathLike | str,
    report_path: os.PathLike | str | None = None,
    timeout: float = 120,
    *,
    env: Mapping[str, str] | None = None,
    binds: Iterable[os.PathLike | str] = (),
    params: dict | None = None,
    args: Iterable[str] = (),
    run_dir: os.PathLike | str | None = None,
    check: bool = True,
) -> dict:
    """Run one scenario in a real Krita and return its report (see krita_driver for the fields).

    `profile` None: a fresh copy of the template in the run folder. `timeout`: seconds the scenario may
    take once it has started in Krita's shown main window (the in-Krita watchdog then reports "watchdog"
    with every thread's stack; Krita's start has START_S of its own); the harness kills Krita BACKSTOP_S
    after both if even that never comes. The report also gets
    "exit_code" (Krita's, None when it had to be killed after reporting), "stderr_tail" and "run_dir" (the
    folder is deleted after a successful run unless run_dir was given or GPTEDIT_KEEP_RUNS=1). With
    check=True a status other than "ok", or an uncaught exception in any Python thread, raises HostRunError
    with the traceback and the tail of Krita's stderr; a hang raises HostTimeout.
    """
    run = new_run_dir("krita", run_dir)
    profile = prepare_krita_profile(spec, profile if profile is not None else run / "profile")
    report = _run_krita_raw(
        spec, profile, Path(scenario_path), report_path, timeout, env, binds, params, args, run_dir=run
    )
    if check and (report.get("status") != "ok" or report.get("thread_errors")):
        detail = report.get("traceback") or report.get("error") or ""
        if report.get("thread_errors"):
            detail += "\n".join(e["traceback"] for e in report["thread_errors"])
        if report.get("stacks"):
            detail += "\n".join(f"--- thread {n} ---\n{s}" for n, s in report["stacks"].items())
        raise HostRunError(
            f"Krita {spec.version} scenario {Path(scenario_path).name}: "
            f"status {report.get('status')!r}\n{detail}\n"
            f"--- Krita stderr tail ---\n{report.get('stderr_tail', '')}\n(run folder {run})",
            report=report,
            stderr_tail=report.get("stderr_tail", ""),
            run_dir=run,
        )
    if not KEEP_RUNS and run_dir is None:
        shutil.rmtree(
            run, ignore_errors=True
        )  # may hold a 70 MB profile copy; the report has the stderr tail
    return report


def _run_krita_raw(
    spec, profile, scenario, report_path, timeout, env, binds, params, args, run_dir=None
) -> dict:
    proc = _start(spec, Path(profile), scenario, report_path, timeout, env, binds, params, args, run_dir)
    final = ("ok", "failed", "error", "watchdog")
    try:
        report = proc.wait_report(lambda r: r.get("status") in final, START_S + timeout + BACKSTOP_S)
    except HostTimeout as exc:
        code = proc.poll()
        proc.kill()
        if code is not None:
            raise HostRunError(
                f"Krita {spec.version} exited with code {code} before a final report. Report so far: "
                f"{exc.report}\n--- Krita stderr tail ---\n{proc.stderr_tail()}\n(run folder {proc.run_dir})",
                report=exc.report,
                stderr_tail=proc.stderr_tail(),
                run_dir=proc.run_dir,
            ) from None
        raise HostTimeout(
            f"Krita {spec.version} gave no final report within {START_S + timeout + BACKSTOP_S:.0f} s, "
            f"not even from its watchdog (killed; the GUI thread may hold the GIL). Report so far: "
            f"{exc.report}\n--- Krita stderr tail ---\n{proc.stderr_tail()}\n(run folder {proc.run_dir})",
            report=exc.report,
            stderr_tail=proc.stderr_tail(),
            run_dir=proc.run_dir,
        ) from None
    try:
        report["exit_code"] = proc.wait(EXIT_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        report["exit_code"] = None
    report["run_dir"] = str(proc.run_dir)
    report["stderr_tail"] = proc.stderr_tail()
    return report
