"""Chroots, versions and processes for the real-host tests (stdlib only; see hostenv.py for the overview).

Everything here runs OUTSIDE the chroot, as root, on a Debian machine. The two shell scripts beside this
file do the privileged work: make_chroot.sh builds a chroot once, in_chroot.sh runs one command inside it in
a private mount namespace with host folders bound at the same path.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAKE_CHROOT = HERE / "make_chroot.sh"
IN_CHROOT = HERE / "in_chroot.sh"
MARKER = ".gptedit-chroot"

# The environment every host application starts with. PATH must not contain a venv: Krita's embedded
# Python takes its prefix from the first python3 on PATH and, pointed at a venv, finds no PyQt5, loads no
# plugin and idles forever (measured). LANG: C.UTF-8 exists in a minbase chroot, other locales do not.
BASE_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
# Never handed through, even when a test passes them in env=: they would point into the outer Python.
# Read once at import: the repository's root conftest strips GPTEDIT_* variables from every test's
# environment, so looking them up later would never see what the developer set.
SKIP_HOSTS = os.environ.get("GPTEDIT_SKIP_HOSTS") == "1"
KEEP_RUNS = os.environ.get("GPTEDIT_KEEP_RUNS") == "1"
FORBIDDEN_ENV = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "LD_PRELOAD", "LD_LIBRARY_PATH"}


class HostError(RuntimeError):
    """Base class of every harness error."""


class HostUnavailable(HostError):
    """The real hosts cannot run on this machine (not root, not Debian, provisioning failed)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class HostRunError(HostError):
    """A host run crashed, timed out or reported a failure; the message carries the evidence."""

    def __init__(self, message: str, *, report: dict | None = None, stderr_tail: str = "", run_dir=None):
        super().__init__(message)
        self.report = report
        self.stderr_tail = stderr_tail
        self.run_dir = run_dir


class HostTimeout(HostRunError):
    """The host did not finish within the allowed time (it has been killed)."""


@dataclass(frozen=True)
class HostSpec:
    """One real host: app "krita" or "gimp", its major.minor version, and the Debian suite that ships it."""

    app: str
    version: str
    suite: str

    @property
    def id(self) -> str:
        return f"{self.app}-{self.version}"

    @property
    def root(self) -> Path:
        return hosts_root() / self.suite

    def __str__(self) -> str:
        return self.id


HOSTS: tuple[HostSpec, ...] = (
    HostSpec("krita", "5.2", "trixie"),
    HostSpec("krita", "5.3", "testing"),
    HostSpec("krita", "6.0", "experimental"),  # Debian unstable + Krita 6 (Qt 6, PyQt6) from experimental
    HostSpec("gimp", "3.0", "trixie"),
    HostSpec("gimp", "3.2", "testing"),
)
KRITA_HOSTS = tuple(h for h in HOSTS if h.app == "krita")
GIMP_HOSTS = tuple(h for h in HOSTS if h.app == "gimp")


def hosts_root() -> Path:
    return Path(os.environ.get("GPTEDIT_HOSTS_ROOT", "/var/cache/gptedit-hosts"))


# ---------------------------------------------------------------------------------------------- chroots

_ensure_lock = threading.Lock()
_ensured: dict[str, Path] = {}
_versions: dict[tuple[str, str], str] = {}


def host_problem() -> str | None:
    """Why real hosts cannot run here at all, or None."""
    if SKIP_HOSTS:
        return "GPTEDIT_SKIP_HOSTS=1"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "real-host tests need root (debootstrap, chroot, mount namespaces)"
    if not Path("/etc/debian_version").exists() or shutil.which("apt-get") is None:
        return "real-host tests need a Debian machine (apt-get, debootstrap)"
    if shutil.which("unshare") is None or shutil.which("flock") is None:
        return "real-host tests need util-linux (unshare, flock)"
    return None


class _FileLock:
    """flock on a file: serialises threads AND processes (flock locks are per open file description)."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        assert self._fd is not None
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def file_lock(path: Path) -> _FileLock:
    return _FileLock(path)


def ensure_chroot(suite: str, *, timeout: float = 1800) -> Path:
    """The chroot for `suite`, built on first use (~2 min, ~1.5 GB); raises HostUnavailable."""
    with _ensure_lock:
        if suite in _ensured:
            return _ensured[suite]
        problem = host_problem()
        if problem:
            raise HostUnavailable(problem)
        root = hosts_root() / suite
        # Our own lock (make_chroot.sh holds ROOT.lock itself; a second flock on that file from here would
        # deadlock with the child we start).
        with file_lock(hosts_root() / f".{suite}.hostenv.lock"):
            try:
                proc = subprocess.run(
                    ["bash", str(MAKE_CHROOT), str(root), suite],
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                )
            except subprocess.TimeoutExpired as exc:
                raise HostUnavailable(
                    f"provisioning the {suite} chroot took more than {timeout:.0f} s"
                ) from exc
            if proc.returncode != 0:
                tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
                raise HostUnavailable(
                    f"provisioning the {suite} chroot failed (exit {proc.returncode}):\n{tail}"
                )
        _ensured[suite] = root
        return root


def _dpkg_version(root: Path, package: str) -> str | None:
    """The installed version of `package` from the chroot's dpkg database."""
    status = root / "var/lib/dpkg/status"
    text = status.read_text(encoding="utf-8", errors="replace")
    for stanza in text.split("\n\n"):
        if re.search(rf"^Package: {re.escape(package)}$", stanza, re.M) and re.search(
            r"^Status: install ok installed$", stanza, re.M
        ):
            m = re.search(r"^Version: (.+)$", stanza, re.M)
            if m:
                return m.group(1).strip()
    return None


def upstream_version(debian_version: str) -> str:
    """'1:5.2.9+dfsg-1+deb13u1' -> '5.2.9'; '3.0.4-3+deb13u11' -> '3.0.4'."""
    v = debian_version.split(":", 1)[-1]
    v = v.rsplit("-", 1)[0] if "-" in v else v
    return re.split(r"[+~]", v, maxsplit=1)[0]


def installed_version(suite: str, app: str) -> str:
    """The upstream version of Krita or GIMP installed in the suite's chroot, e.g. '5.2.9' or '3.0.4'."""
    key = (suite, app)
    if key not in _versions:
        root = ensure_chroot(suite)
        deb = _dpkg_version(root, app)
        if deb is None:
            raise HostUnavailable(f"{app} is not installed in the {suite} chroot at {root}")
        _versions[key] = upstream_version(deb)
    return _versions[key]


def check_spec(spec: HostSpec) -> str:
    """Provision the chroot and confirm it holds the promised major.minor; returns the exact version."""
    version = installed_version(spec.suite, spec.app)
    if version != spec.version and not version.startswith(spec.version + "."):
        raise HostUnavailable(
            f"the {spec.suite} chroot holds {spec.app} {version}, not {spec.version}: "
            "the Debian suite moved on; update HOSTS in tests/hosts/hostenv_core.py"
        )
    return version


def chroot_stamp(suite: str) -> str:
    """A short id of the chroot build; profile templates are keyed by it (a rebuilt chroot gets new ones)."""
    text = (ensure_chroot(suite) / MARKER).read_text()
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# ------------------------------------------------------------------------------------------- processes


def sanitized_env(base: Mapping[str, str], extra: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(BASE_ENV)
    env.update(base)
    for key, value in (extra or {}).items():
        if key in FORBIDDEN_ENV:
            raise HostError(f"env {key} would leak the outer Python into the host; leave it out")
        env[key] = str(value)
    return env


def chroot_command(
    root: Path,
    argv: list[str],
    env: Mapping[str, str],
    binds: Iterable[os.PathLike | str] = (),
    ro_binds: Iterable[os.PathLike | str] = (),
) -> list[str]:
    """The command line running `argv` in `root` with exactly `env` and the folders bound at their paths."""
    cmd = ["bash", str(IN_CHROOT), str(root)]
    flags: dict[Path, str] = {}
    for flag, paths in (("-B", ro_binds), ("-b", binds)):  # read-write wins when a folder is in both
        for p in paths:
            real = Path(p).resolve()
            if not real.exists():
                raise HostError(f"cannot bind {p} into the chroot: it does not exist")
            flags[real] = flag
    # Outer folders first: a later bind of a parent would hide an earlier bind of its child (a read-only
    # scenario folder mounted over a read-write profile inside it made the profile read-only).
    for real in sorted(flags, key=lambda path: len(path.parts)):
        cmd += [flags[real], str(real)]
    cmd += ["--", "/usr/bin/env", "-i", *(f"{k}={v}" for k, v in env.items()), *argv]
    return cmd


def new_run_dir(prefix: str, run_dir: os.PathLike | str | None = None) -> Path:
    if run_dir is not None:
        path = Path(run_dir).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path
    return Path(tempfile.mkdtemp(prefix=f"gptedit-{prefix}-")).resolve()


class HostProcess:
    """A host application running in its chroot (its own process group, so it can be killed as a whole).

    stdout/stderr go to files in the run folder, never to pipes a test might forget to drain.
    """

    def __init__(self, cmd: list[str], run_dir: Path, *, stdin_path: Path | None = None, label: str = "host"):
        self.run_dir = run_dir
        self.label = label
        self.stdout_path = run_dir / f"{label}.stdout"
        self.stderr_path = run_dir / f"{label}.stderr"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL  # noqa: SIM115
            try:
                # start_new_session: a process group of its own, so kill() reaches Xvfb and plug-in children
                # and nothing of the pytest process group.
                self.popen = subprocess.Popen(
                    cmd, stdin=stdin, stdout=out, stderr=err, start_new_session=True
                )
            finally:
                if stdin_path:
                    stdin.close()
        self.started = time.monotonic()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self) -> int | None:
        return self.popen.poll()

    def wait(self, timeout: float | None = None) -> int:
        """Exit code; raises subprocess.TimeoutExpired if still running after `timeout`."""
        return self.popen.wait(timeout)

    def kill(self) -> int:
        """SIGKILL the host and everything it started (what a crash or `kill -9` does); returns the code."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return self.popen.wait(30)

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stderr_tail(self, lines: int = 60) -> str:
        return "\n".join(self.stderr().splitlines()[-lines:])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
