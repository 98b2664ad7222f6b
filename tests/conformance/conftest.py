"""One sandbox per module, reset before each test."""

from __future__ import annotations

import pytest
from gptedit.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox():
    sb = Sandbox(port=0)
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture(autouse=True)
def clean_sandbox(sandbox):
    sandbox.reset()
    sandbox.configure(latency=0.3, today="2026-11-29")  # the day the tests describe (tests/conftest.py)
    yield


