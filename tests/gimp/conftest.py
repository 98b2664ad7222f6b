"""Real-GIMP tests share the built zip and the sandbox from tests/conftest.py; gimp_harness.py holds the
batch run itself. Here: each test that ran on a real GIMP is counted for the session's summary."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _count_real_host_tests(request):
    """Count each test that ran on a real GIMP (its module fixture is parametrized by the host spec)."""
    yield
    callspec = getattr(request.node, "callspec", None)
    for name in ("gimp", "gui"):
        spec = callspec.params.get(name) if callspec else None
        if spec is not None:
            from gimp_harness import count_host_test

            count_host_test(spec)
