#!/usr/bin/env python3
"""gptedit's one entry point for developers, CI and users (standard library only, Python 3.10+).

    python3 build.py demo                 one edit end to end on the offline sandbox
    python3 build.py test [pytest args]   the whole suite (Debian packages, host chroots, venv, dist, pytest)
    python3 build.py dist [--out DIR]     dist/gptedit-krita-<v>.zip and dist/gptedit-gimp-<v>.zip
    python3 build.py install [--krita-dir D] [--gimp-dir D] [--kritarc F] [--dry-run]
    python3 build.py venv | lint | bench

This file only reads the command line; each step lives in the tools/ package (tools/__init__.py lists them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if sys.version_info < (3, 10):  # noqa: UP036 - the message is the point: users run this with any python3
    sys.exit(f"build.py needs Python 3.10 or newer; this is {sys.version.split()[0]}")

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.common import BuildError, run, say  # noqa: E402 - needs the version check and sys.path above
from tools.demo import bench, demo  # noqa: E402
from tools.dist import build_dist  # noqa: E402
from tools.install import install  # noqa: E402
from tools.testrun import run_tests  # noqa: E402
from tools.venv import ensure_venv  # noqa: E402


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="build.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("venv", help="create or refresh .venv (pip install -e '.[test]')")
    sub.add_parser("demo", help="one edit end to end on the offline sandbox (installs only the 'cli' extra)")
    c = sub.add_parser("dist", help="build the Krita and GIMP zips")
    c.add_argument("--out", default=str(ROOT / "dist"), help="folder for the zips (default: dist/)")
    c = sub.add_parser("install", help="install the zips into local Krita and GIMP 3 profiles")
    c.add_argument("--krita-dir", help="Krita resource folder (holds pykrita/ and actions/)")
    c.add_argument("--kritarc", help="kritarc to enable the plugin in (default: this OS's)")
    c.add_argument("--gimp-dir", action="append", default=[], help="GIMP 3 profile folder (repeatable)")
    c.add_argument("--dist-dir", default=str(ROOT / "dist"), help="where the zips are (built if missing)")
    c.add_argument("--dry-run", action="store_true", help="print what would be done, write nothing")
    c = sub.add_parser("test", help="set up everything and run pytest (extra args go to pytest)")
    c.add_argument("pytest_args", nargs=argparse.REMAINDER)
    sub.add_parser("bench", help="run tests/bench/*.py")
    sub.add_parser("lint", help="ruff lint and format check over the repository")
    return p


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "venv":
        say(f"venv ready: {ensure_venv(('test',))}")
        return 0
    if args.command == "dist":
        build_dist(Path(args.out).resolve())
        return 0
    if args.command == "install":
        return install(Path(args.dist_dir), args.krita_dir, args.kritarc, args.gimp_dir, args.dry_run)
    if args.command == "test":
        return run_tests(args.pytest_args)
    if args.command == "demo":
        return demo()
    if args.command == "bench":
        return bench()
    if args.command == "lint":
        py = ensure_venv(("test",))
        checked = run([py, "-m", "ruff", "check", "."], cwd=ROOT).returncode
        return checked or run([py, "-m", "ruff", "format", "--check", "."], cwd=ROOT).returncode
    raise AssertionError(args.command)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["test"]:  # everything after `test` belongs to pytest, even options argparse would claim
        args = argparse.Namespace(command="test", pytest_args=argv[1:])
    else:
        args = parser().parse_args(argv)
    try:
        return dispatch(args)
    except BuildError as exc:
        print(f"build.py {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
