"""`python -m gptedit.sandbox [--port P] [--host H] [--latency S] [--config JSON]`."""

from __future__ import annotations

import sys

from .server import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
