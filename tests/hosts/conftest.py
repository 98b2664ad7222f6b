"""Real-host fixtures (krita_host, gimp_host) for the tests below tests/hosts; they live in
hostenv_fixtures.py so conftests elsewhere can import the same ones (see its docstring)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from hostenv_fixtures import gimp_host, krita_host, mark_host_tests  # noqa: E402

__all__ = ["gimp_host", "krita_host"]


def pytest_collection_modifyitems(config, items):
    mark_host_tests(items)
