"""Real-host fixtures (krita_host, gimp_host) for the tests below tests/hosts; they live in
hostenv_fixtures.py so conftests elsewhere can import the same ones (see its docstring)."""

from __future__ import annotations

from .hostenv_fixtures import gimp_host, krita_host, mark_host_tests

__all__ = ["gimp_host", "krita_host"]


def pytest_collection_modifyitems(config, items):
    mark_host_tests(items)
