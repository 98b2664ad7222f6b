"""Running the plug-in's cases in real GIMP: provisioning, the kill watcher and the one batch run per version
(used by conftest.py and the tests; kept out of conftest so tests can import it by name)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from gptedit.settings import base_url_env

from tests.hosts import hostenv, hostenv_core, hostenv_fixtures

ROOT = Path(__file__).resolve().parents[2]
SEAMS = Path(__file__).resolve().with_name("plugin_seams.py")


def provision(spec, config=None) -> str:
    """The shared real-host provisioning (skip, or fail under GPTEDIT_REQUIRE_HOSTS=1), recorded in the
    session's "real hosts" summary like every other host test."""
    host = hostenv_fixtures.provision(spec)
    if config is not None:
        hostenv_fixtures._register_summary(config)
    return host.version


def count_host_test(spec) -> None:
    """One more test ran on this host (for the session's "real hosts" summary)."""
    hostenv_fixtures._ran[spec.id] = hostenv_fixtures._ran.get(spec.id, 0) + 1


def plugin_pid(owner: str) -> int | None:
    """The pid in a ledger owner ("host:pid") if it is our plug-in's process (checked by its command line,
    so the test never signals anything it did not start)."""
    _, _, pid = owner.rpartition(":")
    if not pid.isdigit():
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return int(pid) if b"gptedit-gimp.py" in cmdline else None


class Killer(threading.Thread):
    """Watches the run's ledger and SIGKILLs the plug-in process once a job whose prompt holds `marker` is
    known to the provider — a crash at the worst moment: paid for, not yet fetched."""

    def __init__(self, home: Path, out: Path, marker: str = "kill me"):
        super().__init__(daemon=True)
        self.home, self.out, self.marker = home, out, marker
        self.stop = threading.Event()
        self.killed: str | None = None

    def run(self) -> None:
        from gptedit.ledger import Ledger
        from gptedit.models import JobState

        path = self.home / "jobs.sqlite3"
        while not self.stop.wait(0.2):
            if not path.exists():
                continue
            ledger = Ledger(path)
            try:
                for job in ledger.list(limit=20, states=(JobState.SUBMITTED, JobState.RUNNING)):
                    pid = plugin_pid(job.owner) if self.marker in job.prompt else None
                    if pid:
                        os.kill(pid, signal.SIGKILL)
                        self.killed = job.id
                        (self.out / "killed-job").write_text(job.id)
                        return
            finally:
                ledger.close()


def start_gimp_gui(spec, profile: Path, code: str, env: dict, base: Path) -> hostenv.HostProcess:
    """GUI GIMP (not gimp-console) under its own Xvfb, running `code` through python-fu-eval: the only way to
    run the INTERACTIVE paths (dialogs, the progress window) in a real GIMP here. The code is passed as a
    file because with_xvfb.sh starts the host in the background, where stdin is /dev/null."""
    root = hostenv.ensure_chroot(spec.suite)
    run = base / "run-gui"
    for sub in ("home", "tmp", "cache", "config", "data"):
        (run / sub).mkdir(parents=True, exist_ok=True)
    runtime = run / "xdg-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.chmod(runtime, 0o700)
    script = run / "batch.py"
    script.write_text(code, encoding="utf-8")
    full = {
        "HOME": str(run / "home"),
        "TMPDIR": str(run / "tmp"),
        "XDG_CACHE_HOME": str(run / "cache"),
        "XDG_CONFIG_HOME": str(run / "config"),
        "XDG_DATA_HOME": str(run / "data"),
        "XDG_RUNTIME_DIR": str(runtime),
        "GIMP3_DIRECTORY": str(profile),
        "PYTHONDONTWRITEBYTECODE": "1",
        "NO_AT_BRIDGE": "1",
        **env,
    }
    hosts = ROOT / "tests" / "hosts"
    argv = [
        "/bin/bash",
        str(hosts / "with_xvfb.sh"),
        str(run),
        f"/usr/bin/gimp-{spec.version}",
        "-n",
        "-c",
        "--batch-interpreter=python-fu-eval",
        "-b",
        f"exec(open({str(script)!r}).read())",
        "--quit",
    ]
    cmd = hostenv_core.chroot_command(
        root, argv, hostenv_core.sanitized_env({}, full), binds=[base], ro_binds=[hosts]
    )
    return hostenv.HostProcess(cmd, run, label="gimp-gui")


def cli_job(home: Path, sandbox) -> str:
    """A job made by the command line into the same ledger (the ledger is shared by every front end)."""
    from gptedit.ledger import Ledger

    env = {
        **os.environ,
        "GPTEDIT_HOME": str(home),
        "GPTEDIT_PROVIDER": "eachlabs",
        "EACHLABS_API_KEY": "test",
        "GPTEDIT_EACHLABS_BASE_URL": sandbox.base_urls["eachlabs"],
    }
    env.pop("GPTEDIT_CONFIG", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gptedit",
            "edit",
            str(ROOT / "shared/samples/sticker.png"),
            "-p",
            "[identity] from the command line",
            "-o",
            str(home / "cli-out.png"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ledger = Ledger(home / "jobs.sqlite3")
    try:
        return ledger.list(limit=1, origin="cli")[0].id
    finally:
        ledger.close()


def lost_cli_job(home: Path, sandbox) -> str:
    """A command-line edit killed while its create was still open at Replicate: the prediction exists, its
    id never came back, so the job is left *submitting* in the shared ledger (unknown after a sweep)."""
    from gptedit.ledger import Ledger
    from gptedit.models import JobState

    sandbox.inject("replicate", "create", "slow", after_create=True, seconds=60)
    env = {
        **os.environ,
        "GPTEDIT_HOME": str(home),
        "GPTEDIT_PROVIDER": "replicate",
        "REPLICATE_API_TOKEN": "test",
        "GPTEDIT_REPLICATE_BASE_URL": sandbox.base_urls["replicate"],
    }
    env.pop("GPTEDIT_CONFIG", None)
    before = len([j for j in sandbox.stats()["jobs"] if j["provider"] == "replicate"])
    # a prompt of its own per run: the same edit lost by another GIMP version's run minutes ago would
    # rightly make two candidates
    prompt = f"[identity] lost on the way ({home.parent.name})"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gptedit",
            "edit",
            str(ROOT / "shared/samples/sticker.png"),
            "-p",
            prompt,
            "-o",
            str(home / "lost-out.png"),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ledger = Ledger(home / "jobs.sqlite3")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            jobs = ledger.list(limit=1, origin="cli")
            made = len([j for j in sandbox.stats()["jobs"] if j["provider"] == "replicate"])
            if jobs and jobs[0].state is JobState.SUBMITTING and made > before:
                proc.kill()
                proc.wait(10)
                return jobs[0].id
            time.sleep(0.02)
        proc.kill()
        pytest.fail("the command line never had its create open at the sandbox")
    finally:
        ledger.close()


def install_seams(base: Path) -> dict[str, str]:
    """Make the plug-in's Python load plugin_seams.py (the person at the dialogs, see its docstring): a user
    site-packages folder under `base` holding it and a .pth that imports it, for whichever Python 3 the host
    runs. Returns the environment that points Python there and names the hook file."""
    userbase = base / "seams"
    for minor in range(10, 20):
        site = userbase / "lib" / f"python3.{minor}" / "site-packages"
        site.mkdir(parents=True, exist_ok=True)
        (site / "gptedit_gimp_test_seams.py").write_bytes(SEAMS.read_bytes())
        (site / "gptedit_gimp_test_seams.pth").write_text("import gptedit_gimp_test_seams\n")
    return {"PYTHONUSERBASE": str(userbase), "GPTEDIT_GIMP_TEST_HOOK_FILE": str(base / "hook")}


#: the providers the GIMP cases point at the sandbox (each::labs the default; OpenAI for the mask cases)
GIMP_PROVIDERS = ("eachlabs", "openai")


def run_all_cases(
    spec,
    zip_path: Path,
    sandbox,
    provider_env: dict,
    base: Path,
    cases: list[str],
    timeout: float = 240,
    gui: bool = False,
    config=None,
    env_extra: dict | None = None,
    params: dict | None = None,
) -> dict:
    """Run `cases` (gimp_side.py) in one GIMP; `params` go to the cases beside the usual ones. The shared
    ledger and results live in base/gptedit-home (another host may have written there first)."""
    import json

    provision(spec, config)
    base.mkdir(parents=True, exist_ok=True)
    profile, home, out = base / "profile", base / "gptedit-home", base / "out"
    for p in (home, out):
        p.mkdir(parents=True, exist_ok=True)
    hostenv.prepare_gimp_profile(spec, profile)
    names = hostenv.install_gimp_zip(zip_path, profile)
    assert names == ["gptedit-gimp"], names
    latency = 0.0  # answers at the first poll: the cases test GIMP, not waiting (the kill case holds its job)
    # answers at the sent picture's size: these tests check GIMP's placement pixel for pixel, and a
    # fixed-size answer (each::labs, Replicate) would be resampled on the way (tests/conformance covers that)
    sandbox.configure(latency=latency, answer_size="input")
    replicate_before = len([j for j in sandbox.stats()["jobs"] if j["provider"] == "replicate"])
    params = {
        "out": str(out),
        "api": sandbox.api_url,
        "latency": latency,
        "cli_job": cli_job(home, sandbox) if "cli-job" in cases else "",
        "lost_cli_job": lost_cli_job(home, sandbox) if "lost-cli-job" in cases else "",
        **(params or {}),
    }
    (base / "params.json").write_text(json.dumps(params))
    side = (Path(__file__).parent / "gimp_side.py").read_text()
    code = hostenv.GIMP_PRELUDE + "\n" + side + f"\nrun_cases({cases!r})\n"
    env = {
        **provider_env,
        base_url_env("fal"): sandbox.base_urls["fal"],
        "REPLICATE_API_TOKEN": "test",
        **install_seams(base),
        "GPTEDIT_HOME": str(home),
        "GPTEDIT_TEST_PARAMS": str(base / "params.json"),
        **(env_extra or {}),
    }
    killer = Killer(home, out)
    killer.start()
    started = time.monotonic()
    if gui:
        proc = start_gimp_gui(spec, profile, code, env, base)
    else:
        proc = hostenv.start_gimp_batch(spec, profile, code, env=env, binds=[base], run_dir=base / "run")
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"GIMP {spec.version} did not finish the cases in {timeout} s:\n{proc.stderr_tail()}")
    finally:
        killer.stop.set()
    report_path = out / "report.json"
    if not report_path.exists():
        pytest.fail(
            f"GIMP {spec.version} wrote no report (exit {rc}):\n{proc.stdout()[-3000:]}\n"
            f"{proc.stderr_tail(80)}",
            pytrace=False,
        )
    report = json.loads(report_path.read_text())
    report.update(
        out=str(out),
        home=str(home),
        profile=str(profile),
        rc=rc,
        seconds=time.monotonic() - started,
        stderr=proc.stderr()[-6000:],
        killed=killer.killed,
        replicate_creates=len([j for j in sandbox.stats()["jobs"] if j["provider"] == "replicate"])
        - replicate_before,
    )
    return report
