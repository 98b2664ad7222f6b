"""Real GIMP 3 for tests: plug-in install from a zip, profiles, and batch runs of Python code.

A GIMP *profile* is the folder GIMP3_DIRECTORY points at (plug-ins/, pluginrc, gimprc, ...). Batch runs use
`gimp-console-<ver> -i -n -c --batch-interpreter=python-fu-eval -b - --quit` with the code on stdin; no X
server is needed. HOME, TMPDIR and the XDG folders point into a per-run folder.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from .hostenv_core import (
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

PROFILE_MARKER = ".gptedit-profile"

# Prepended by callers who want it (run_gimp_batch does not add it): the imports every batch needs and a
# helper that calls a procedure non-interactively and raises on anything but SUCCESS. A plug-in exception
# does NOT fail the batch by itself: GIMP returns EXECUTION_ERROR and exits 0 (measured), so check.
GIMP_PRELUDE = '''
import gi
gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gimp, Gegl, Gio, GLib, GObject

def call_procedure(name, image=None, drawables=None, check=True, **props):
    """Run a PDB procedure NON-INTERACTIVELY; returns (status, values list); raises unless SUCCESS."""
    proc = Gimp.get_pdb().lookup_procedure(name)
    if proc is None:
        raise RuntimeError(f"procedure {name!r} is not registered "
                           "(plug-in missing, not executable, or broken)")
    cfg = proc.create_config()
    cfg.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    if image is not None:
        cfg.set_property("image", image)
    if drawables is not None:
        # g_object_set cannot set a core-object array from Python bindings
        cfg.set_core_object_array("drawables", list(drawables))
    for key, value in props.items():
        cfg.set_property(key.replace("_", "-"), value)
    res = proc.run(cfg)
    status = res.index(0)
    values = [res.index(i) for i in range(1, res.length())]
    if check and status != Gimp.PDBStatusType.SUCCESS:
        err = values[0] if values and isinstance(values[0], str) else ""
        raise RuntimeError(f"{name} returned {status.value_nick}: {err}")
    return status, values

def rgba_pixels(drawable, x, y, w, h):
    """RGBA u8 bytes of a drawable-local rectangle (sRGB, non-linear)."""
    buf = drawable.get_buffer()
    return bytes(buf.get(Gegl.Rectangle.new(x, y, w, h), 1.0, "R'G'B'A u8", Gegl.AbyssPolicy.CLAMP))
'''


def gimp_console(spec: HostSpec) -> str:
    return f"/usr/bin/gimp-console-{spec.version}"


def install_gimp_zip(zip_path: os.PathLike | str, profile_dir: os.PathLike | str) -> list[str]:
    """Unpack the plug-in folder(s) of a zip into PROFILE/plug-ins/, keeping exec bits; returns the names.

    The zip holds `<name>/<name>.py` (optionally under one common top folder, e.g. `plug-ins/`). GIMP only
    runs a plug-in whose folder name equals the stem of an EXECUTABLE file in it, so both are checked and
    the mode bits come from the zip's external attributes (zipfile's extract drops them).
    """
    zip_path = Path(zip_path)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise HostError(f"{zip_path}: not a readable zip ({exc})") from exc
    target_root = Path(profile_dir) / "plug-ins"
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        parts = [PurePosixPath(m.filename).parts for m in members]
        if any(
            ".." in p or PurePosixPath(m.filename).is_absolute() for p, m in zip(parts, members, strict=True)
        ):
            raise HostError(f"{zip_path}: a member path leaves the plug-ins folder")
        # Strip one shared top folder when it is not itself the plug-in (e.g. "plug-ins/<name>/<name>.py").
        strip = 0
        tops = {p[0] for p in parts}
        if len(tops) == 1 and all(len(p) >= 3 for p in parts):
            strip = 1
        plugins: dict[str, list[tuple[zipfile.ZipInfo, tuple[str, ...]]]] = {}
        for member, p in zip(members, parts, strict=True):
            rel = p[strip:]
            if len(rel) < 2:
                raise HostError(
                    f"{zip_path}: {member.filename} is not inside a plug-in folder "
                    f"(GIMP skips plug-ins placed directly in plug-ins/)"
                )
            plugins.setdefault(rel[0], []).append((member, rel))
        names = []
        for name, entries in plugins.items():
            mains = [(m, rel) for m, rel in entries if len(rel) == 2 and PurePosixPath(rel[1]).stem == name]
            if not mains:
                raise HostError(
                    f"{zip_path}: folder {name}/ has no file {name}.py (GIMP needs folder name == "
                    f"script stem)"
                )
            if not any((m.external_attr >> 16) & stat.S_IXUSR for m, _ in mains):
                raise HostError(
                    f"{zip_path}: {name}/{mains[0][1][1]} is not executable in the zip; GIMP "
                    f"ignores it (store it with mode 0755)"
                )
            dest_dir = target_root / name
            if dest_dir.exists():
                shutil.rmtree(dest_dir)
            for member, rel in entries:
                dest = target_root.joinpath(*rel)
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(archive.read(member))
                mode = (member.external_attr >> 16) & 0o777
                os.chmod(dest, mode or 0o644)
            names.append(name)
        return names


def gimp_template(spec: HostSpec) -> Path:
    """A profile in which this GIMP has started once (~120 plug-ins queried, pluginrc written), cached."""
    version = check_spec(spec)
    template = hosts_root() / "profiles" / f"gimp-{version}-{chroot_stamp(spec.suite)}"
    with file_lock(template.with_name(template.name + ".lock")):
        if (template / PROFILE_MARKER).exists():
            return template
        building = template.with_name(template.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        rc, out, err = _batch(spec, building, "print('template ready')\n", 300, None, ())
        if rc != 0 or "template ready" not in out:
            raise HostRunError(
                f"building the GIMP {version} profile template failed (exit {rc}):\n{err[-3000:]}"
            )
        (building / PROFILE_MARKER).write_text(f"gimp {version}\n")
        building.rename(template)
        return template


def prepare_gimp_profile(spec: HostSpec, profile: os.PathLike | str) -> Path:
    """Make `profile` a started-once GIMP profile from the template (files already there win)."""
    profile = Path(profile).resolve()
    marker = profile / PROFILE_MARKER
    version = check_spec(spec)
    if marker.exists():
        made_for = marker.read_text().strip()
        if made_for != f"gimp {version}":
            raise HostError(f"{profile} is a profile of {made_for}, not gimp {version}; use a fresh folder")
        return profile
    template = gimp_template(spec)
    for src in template.rglob("*"):
        dest = profile / src.relative_to(template)
        if src.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        elif not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    return profile


def start_gimp_batch(
    spec: HostSpec,
    profile: os.PathLike | str,
    python_code: str,
    *,
    env: Mapping[str, str] | None = None,
    binds: Iterable[os.PathLike | str] = (),
    run_dir: os.PathLike | str | None = None,
) -> HostProcess:
    """Start a batch run and return at once (kill tests); read .stdout()/.stderr() after .wait()."""
    profile = prepare_gimp_profile(spec, profile)
    return _start(spec, profile, python_code, env, binds, run_dir)


def _start(spec, profile: Path, code: str, env, binds, run_dir) -> HostProcess:
    root = ensure_chroot(spec.suite)
    run = new_run_dir("gimp", run_dir)
    for sub in ("home", "tmp", "cache", "config", "data"):
        (run / sub).mkdir(exist_ok=True)
    runtime = run / "xdg-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.chmod(runtime, 0o700)
    stdin = run / "batch.py"
    stdin.write_text(code, encoding="utf-8")
    base = {
        "HOME": str(run / "home"),
        "TMPDIR": str(run / "tmp"),
        "XDG_CACHE_HOME": str(run / "cache"),
        "XDG_CONFIG_HOME": str(run / "config"),
        "XDG_DATA_HOME": str(run / "data"),
        "XDG_RUNTIME_DIR": str(runtime),
        "GIMP3_DIRECTORY": str(profile),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    argv = [gimp_console(spec), "-i", "-n", "-c", "--batch-interpreter=python-fu-eval", "-b", "-", "--quit"]
    cmd = chroot_command(root, argv, sanitized_env(base, env), binds=[profile, run, *binds])
    return HostProcess(cmd, run, stdin_path=stdin, label="gimp")


def _batch(spec, profile: Path, code: str, timeout: float, env, binds, run_dir=None) -> tuple[int, str, str]:
    proc = _start(spec, profile, code, env, binds, run_dir)
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise HostTimeout(
            f"GIMP {spec.version} batch did not finish within {timeout:.0f} s (killed)\n--- stdout ---\n"
            f"{proc.stdout()[-2000:]}\n--- stderr tail ---\n{proc.stderr_tail()}\n"
            f"(run folder {proc.run_dir})",
            stderr_tail=proc.stderr_tail(),
            run_dir=proc.run_dir,
        ) from None
    out, err = proc.stdout(), proc.stderr()
    if not KEEP_RUNS and run_dir is None:
        shutil.rmtree(proc.run_dir, ignore_errors=True)
    return rc, out, err


def run_gimp_batch(
    spec: HostSpec,
    profile: os.PathLike | str | None,
    python_code: str,
    timeout: float = 120,
    *,
    env: Mapping[str, str] | None = None,
    binds: Iterable[os.PathLike | str] = (),
    run_dir: os.PathLike | str | None = None,
) -> tuple[int, str, str]:
    """Run Python batch code in a real GIMP; returns (returncode, stdout, stderr). Raises HostTimeout.

    Exit codes seen: 0 when the code ran (even if a procedure it called failed: check its status), 64 when
    the batch code itself raised. `profile` None: a fresh copy of the template for this run only.
    """
    run = new_run_dir("gimp", run_dir)
    profile = prepare_gimp_profile(spec, profile if profile is not None else run / "profile")
    rc, out, err = _batch(spec, profile, python_code, timeout, env, binds, run_dir=run)
    if not KEEP_RUNS and run_dir is None:
        shutil.rmtree(run, ignore_errors=True)
    return rc, out, err
