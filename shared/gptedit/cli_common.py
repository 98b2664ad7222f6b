"""What the command line's subcommands share: the settings flags, a private sandbox, Ctrl-C handling and
exit codes (kept apart from `cli` so `cli_batch` needs nothing from it)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys

from .jobs import CancelToken
from .settings import FIELDS, SANDBOX, resolve

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def settings_flags(parser: argparse.ArgumentParser) -> None:
    """One flag for each setting that has one in `settings.FIELDS` (the table says its spelling and help)."""
    g = parser.add_argument_group(
        "provider and model (flags win over GPTEDIT_* variables and the config file)"
    )
    for f in FIELDS:
        if not f.flag:
            continue
        spellings = f.flag.split()
        if spellings[0].startswith("--no-"):
            g.add_argument(*spellings, dest=f.name, action="store_false", default=None, help=f.help or None)
            continue
        kind = {int: int, float: float}.get(type(f.default))
        g.add_argument(
            *spellings, dest=f.name, type=kind, choices=list(f.choices) or None, help=f.help or None
        )
    g.add_argument(
        "--sandbox",
        action="store_true",
        help="start a private sandbox server and point the chosen provider's protocol at it",
    )


def flags(args) -> dict:
    return {f.name: getattr(args, f.name, None) for f in FIELDS if f.flag}


@contextlib.contextmanager
def maybe_sandbox(args, flags: dict):
    """`--provider sandbox` (with no base URL anywhere) or `--sandbox`: a private in-process sandbox."""
    settings = resolve(flags)
    wants = getattr(args, "sandbox", False) or (
        settings.provider == SANDBOX and settings.sources.get("base_url") == "default"
    )
    if not wants:
        yield settings
        return
    from .sandbox import Sandbox  # Pillow lives there; only the command line pulls it in

    sb = Sandbox(port=0)
    sb.start()
    try:
        flags = dict(flags, base_url=sb.base_urls[settings.protocol])
        settings = resolve(flags)
        if not settings.api_key:
            settings.api_key = "sandbox"
        yield settings
    finally:
        sb.stop()


class Interrupts:
    """First Ctrl-C cancels the job (remotely where possible); a second one quits at once."""

    def __init__(self, token: CancelToken):
        self.token = token
        self.count = 0

    def __enter__(self):
        self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, *_):
        self.count += 1
        if self.count > 1:
            raise KeyboardInterrupt
        print("\ngptedit: cancelling… (Ctrl-C again to quit; the job stays in the ledger)", file=sys.stderr)
        self.token.cancel()

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self._old)
        return False
