"""What the command line's subcommands share: the settings flags, a private sandbox, Ctrl-C handling and
exit codes (kept apart from `cli` so `cli_batch` needs nothing from it)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys

from .jobs import CancelToken
from .models import Background, Complexity, OutputFormat, Quality
from .settings import PROVIDER_NAMES, SANDBOX, resolve

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def settings_flags(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("provider and model (flags win over GPTEDIT_* variables and the config file)")
    g.add_argument("--provider", choices=PROVIDER_NAMES, help="default: $GPTEDIT_PROVIDER, config, then sandbox")
    g.add_argument("--model", help="model id, e.g. gpt-image-2 (OpenAI) or gpt-image-v2-edit (each::labs)")
    g.add_argument("--base-url", dest="base_url", help="API base URL (gateways, proxies, a sandbox)")
    g.add_argument("--sandbox", action="store_true",
                   help="start a private sandbox server and point the chosen provider's protocol at it")
    g.add_argument("--quality", choices=[q.value for q in Quality],
                   help="xhigh and max: GPT Image 2.5 and 2.6 only (`gptedit models` lists each model's tiers)")
    g.add_argument("--complexity", choices=[c.value for c in Complexity],
                   help="how much GPT Image 2.6 plans before drawing (default: the model's, high)")
    g.add_argument("--size", help="WIDTHxHEIGHT or auto (gpt-image-2: any valid custom size)")
    g.add_argument("-n", "--variations", dest="n", type=int, help="number of variations (outputs are numbered)")
    g.add_argument("--format", dest="output_format", choices=[f.value for f in OutputFormat])
    g.add_argument("--background", choices=[b.value for b in Background])
    g.add_argument("--deadline", type=float, help="seconds to wait for one job before giving up (resumable)")
    g.add_argument("--no-stream", dest="stream", action="store_false", default=None,
                   help="do not ask streaming providers for partial previews")


def flags(args) -> dict:
    names = ("provider", "model", "base_url", "quality", "complexity", "size", "n", "output_format", "background",
             "deadline", "stream")
    return {k: getattr(args, k, None) for k in names}


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
