"""The module's sandbox (tests/conftest.py), answering after a short latency so states can be watched."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def clean_sandbox(sandbox):
    sandbox.configure(latency=0.3, today="2026-11-29")  # the day the tests describe (tests/conftest.py)
    yield
