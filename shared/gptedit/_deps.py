"""Third-party imports in one place. Inside Krita and GIMP the plugin ships its own copy of the `requests`
stack under `gptedit._vendor` (imports rewritten at build time), so it never clashes with another plugin's
copy; outside the hosts the ordinary installed packages are used."""

from __future__ import annotations

try:  # the plugin artifacts
    from ._vendor import certifi, requests  # type: ignore[attr-defined]
except ImportError:  # command line, sandbox and tests: a normal environment
    import certifi
    import requests

__all__ = ["requests", "certifi"]
